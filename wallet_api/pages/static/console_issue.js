// The console's issuing card: send a records file in resumable pieces, issue it, follow it read,
// issued and anchored, and download the rows it refused.
//
// A month's export is hundreds of megabytes. The file goes up in pieces at the offset the service
// holds; a dropped connection is retried from there, and the same file chosen again (after a
// closed tab or a restart) goes on where it stopped. Issuing runs on the service: if the progress
// stream drops, the card follows the issuance again; issuing a file again skips what was issued.

import { ApiError, LANG, api, busy, el, explain, t, toast, tx } from "/static/common.js";

const PIECE = 8 << 20; // bytes a piece, at most; the service says how many it takes
const SHOWN = 1000; // refused rows the stream names; every one is in the download
const RETRY_CAP = 30_000; // the longest wait between retries, in milliseconds

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const megabytes = (bytes) => (bytes / (1 << 20)).toLocaleString(undefined, { maximumFractionDigits: 1 });

export function issueCard(token, types, expired) {
  const type = el("select", { id: "type", required: true }, types.map((item) => el("option", { value: item.key }, `${tx({ zh: item.title["zh-CN"], en: item.title.en })} (${item.key})`)));
  const file = el("input", { id: "records", type: "file", accept: ".csv,.xlsx,.jsonl,.ndjson,.json", required: true });
  const submit = el("button", { class: "btn", type: "submit", id: "issue" }, t("console.issue.submit"));
  const bar = (id, label) => el("progress", { id, max: "1", value: "0", "aria-label": label });
  const uploading = bar("uploading", t("console.issue.uploading"));
  const reading = bar("reading", t("console.issue.reading"));
  const anchoring = bar("anchoring", t("console.issue.anchoring"));
  const uploadingText = el("div", { class: "muted", id: "uploading-text", "aria-live": "polite" });
  const readingText = el("div", { class: "muted", id: "reading-text" });
  const anchoringText = el("div", { class: "muted", id: "anchoring-text" });
  const stage = (label, progress, text) => el("div", {}, el("strong", {}, label), progress, text);
  const progress = el(
    "div",
    { class: "stack", hidden: true },
    stage(t("console.issue.uploading"), uploading, uploadingText),
    stage(t("console.issue.reading"), reading, readingText),
    stage(t("console.issue.anchoring"), anchoring, anchoringText),
  );
  const summary = el("div", { id: "issue-summary", "aria-live": "polite" });
  const errorsBody = el("tbody");
  const more = el("p", { class: "muted", id: "rejections-more", hidden: true });
  const download = el("button", { type: "button", class: "btn secondary", id: "download-refused" }, t("console.issue.download"));
  const errors = el(
    "div",
    { hidden: true, id: "rejections", class: "stack" },
    el("h3", {}, t("console.issue.rejected")),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("console.issue.rejected") }, el("table", { class: "errors" }, el("thead", {}, el("tr", {}, el("th", { scope: "col", class: "num" }, t("console.issue.line")), el("th", { scope: "col" }, t("console.issue.number")), el("th", { scope: "col" }, t("console.issue.reason")))), errorsBody)),
    more,
    el("div", { class: "row" }, download),
  );
  const form = el(
    "form",
    { class: "stack", novalidate: true },
    el("div", {}, el("label", { for: "type" }, t("console.issue.type")), type),
    el("div", {}, el("label", { for: "records" }, t("console.issue.file")), file, el("div", { class: "hint" }, t("console.issue.file_hint"))),
    submit,
  );

  let uploadId = null;
  let shown = 0;
  const call = async (path, options = {}) => {
    try {
      return await api(path, { ...options, token });
    } catch (error) {
      if (error.status === 401) expired();
      throw error;
    }
  };

  download.addEventListener("click", () =>
    busy(download, async () => {
      const response = await call(`/v1/office/uploads/${uploadId}/refused-rows`, { raw: true });
      const suffix = response.headers.get("content-type")?.startsWith("text/csv") ? "csv" : "jsonl";
      const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `refused-rows-${uploadId.slice(0, 8)}.${suffix}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    }),
  );

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return toast(t("console.issue.need_file"));
    busy(submit, async () => {
      errorsBody.replaceChildren();
      errors.hidden = more.hidden = true;
      summary.replaceChildren();
      progress.hidden = false;
      for (const item of [uploading, reading, anchoring]) item.value = 0;
      anchoring.removeAttribute("data-done");
      uploadingText.textContent = readingText.textContent = anchoringText.textContent = "";
      shown = 0;
      try {
        const upload = await sendFile(chosen);
        uploadId = upload.id;
        await issue(upload.id, type.value);
      } catch (error) {
        summary.replaceChildren(el("p", { class: "notice bad", id: "issue-failed" }, error instanceof ApiError ? explain(error) : String(error.message || error)));
      }
    });
  });

  /** Sends `chosen` in pieces from where the service stands, retrying a dropped connection. */
  async function sendFile(chosen) {
    const key = `${chosen.name}|${chosen.size}|${chosen.lastModified}`;
    let upload = await call("/v1/office/uploads", { method: "POST", body: { filename: chosen.name, size: chosen.size, key } });
    if (upload.received) uploadingText.textContent = t("console.issue.resuming", { size: megabytes(upload.received) });
    let wait = 1000;
    while (!upload.complete) {
      showUpload(upload);
      try {
        upload = await sendPiece(upload, chosen.slice(upload.received, upload.received + Math.min(PIECE, upload.piece)));
        wait = 1000;
      } catch (error) {
        if (!(error instanceof ApiError) || (error.status !== 0 && error.status < 500 && error.code !== "upload.offset_mismatch")) throw error;
        uploadingText.textContent = t("console.issue.retrying", { seconds: Math.round(wait / 1000) });
        await sleep(wait);
        wait = Math.min(wait * 2, RETRY_CAP);
        upload = await call(`/v1/office/uploads/${upload.id}`).catch(() => upload);
      }
    }
    showUpload(upload);
    return upload;
  }

  async function sendPiece(upload, piece) {
    let response;
    try {
      response = await fetch(`/v1/office/uploads/${upload.id}`, {
        method: "PATCH",
        headers: { Authorization: `Bearer ${token}`, "Upload-Offset": String(upload.received), "Content-Type": "application/octet-stream" },
        body: piece,
      });
    } catch {
      throw new ApiError(0, "network", t("error.network"));
    }
    const answer = await response.json().catch(() => ({}));
    if (response.status === 401) expired();
    if (!response.ok) throw new ApiError(response.status, answer.code, answer.detail || answer.title);
    return answer;
  }

  function showUpload(upload) {
    uploading.max = Math.max(upload.size, 1);
    uploading.value = upload.received;
    uploadingText.textContent = t("console.issue.uploaded", { received: megabytes(upload.received), size: megabytes(upload.size), percent: Math.floor((100 * upload.received) / Math.max(upload.size, 1)) });
  }

  /** Issues the upload and follows it to its end, following it again if the stream drops (the
   *  issuance goes on at the service), and starting it again if it never began. */
  async function issue(id, typeKey) {
    const start = async () => {
      try {
        return await call(`/v1/office/uploads/${id}/issuance`, { method: "POST", body: { type: typeKey }, raw: true });
      } catch (error) {
        if (error.code === "issuance.running" || error.status === 0 || error.status >= 500) return null; // follow it
        throw error;
      }
    };
    let response = await start();
    let wait = 1000;
    for (;;) {
      if (response && (await follow(response))) return;
      await sleep(wait);
      wait = Math.min(wait * 2, RETRY_CAP);
      readingText.textContent = t("console.issue.reconnecting");
      response = await call(`/v1/office/uploads/${id}/issuance`, { raw: true }).catch((error) => {
        if (error.code === "issuance.not_started") return start(); // the request to start it was lost
        if (error.status && error.status < 500) throw error;
        return null;
      });
      if (response) {
        errorsBody.replaceChildren(); // the stream names the refused rows again
        shown = 0;
      }
    }
  }

  /** Reads a progress stream; whether it reached its end (done or error). */
  async function follow(response) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        buffered += value;
        const lines = buffered.split("\n");
        buffered = lines.pop();
        for (const line of lines) if (line.trim() && onEvent(JSON.parse(line))) return true;
      }
    } catch {
      return false; // the connection dropped: follow it again
    }
  }

  /** Shows one event; whether it ends the issuance. */
  function onEvent(event) {
    if (event.event === "started") {
      uploadId = event.upload;
    } else if (event.event === "progress") {
      reading.max = Math.max(event.total, 1);
      reading.value = event.bytes;
      readingText.textContent = t("console.issue.read", { read: event.read.toLocaleString(), percent: Math.round((100 * event.bytes) / Math.max(event.total, 1)) });
      showMore(event.refused);
    } else if (event.event === "rejected") {
      errors.hidden = false;
      shown += 1;
      const place = event.sheet ? t("console.issue.sheet_row", { sheet: event.sheet, row: event.line }) : String(event.line);
      const reason = LANG === "zh" && event.reasonZh ? event.reasonZh : event.reason;
      errorsBody.append(el("tr", { dataset: { line: event.line, code: event.code || "" } }, el("td", { class: "num" }, place), el("td", {}, event.number || "—"), el("td", {}, reason)));
    } else if (event.event === "issued") {
      reading.value = reading.max;
      showMore(event.refused);
      summary.replaceChildren(
        el("p", { class: event.refused ? "notice bad" : "notice ok", id: "issued-summary" }, t("console.issue.summary", { read: event.read, issued: event.issued, already: event.alreadyIssued, refused: event.refused })),
      );
      if (!event.issued) anchoringText.textContent = t("console.issue.nothing_to_anchor");
    } else if (event.event === "anchoring") {
      anchoring.max = Math.max(event.total, 1);
      anchoring.value = event.anchored;
      anchoringText.textContent = t("console.issue.anchored", { anchored: event.anchored, total: event.total });
    } else if (event.event === "done") {
      anchoring.dataset.done = "true";
      summary.append(el("p", { class: "muted", id: "issue-done" }, event.anchored === event.issued ? t("console.issue.done") : t("console.issue.handed_over")));
      return true;
    } else if (event.event === "error") {
      const known = `code.${event.code}`;
      const said = LANG === "zh" && event.detailZh ? event.detailZh : t(known) === known ? event.detail : t(known);
      summary.replaceChildren(el("p", { class: "notice bad", id: "issue-failed" }, said));
      return true;
    }
    return false;
  }

  function showMore(refused) {
    if (!refused) return;
    errors.hidden = false;
    more.hidden = refused <= shown;
    more.textContent = t("console.issue.more_refused", { shown: Math.min(shown, SHOWN), refused });
  }

  return el("section", { class: "card", "aria-labelledby": "issue-title" }, el("h2", { id: "issue-title" }, t("console.issue.title")), form, progress, summary, errors);
}
