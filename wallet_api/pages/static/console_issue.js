// The console's issuing card: send a records file, follow it read, issued and anchored.

import { api, busy, el, t, toast, tx } from "/static/common.js";

export function issueCard(token, types, expired) {
  const type = el("select", { id: "type", required: true }, types.map((item) => el("option", { value: item.key }, `${tx({ zh: item.title["zh-CN"], en: item.title.en })} (${item.key})`)));
  const file = el("input", { id: "records", type: "file", accept: ".csv,.xlsx,.jsonl,.ndjson,.json", required: true });
  const submit = el("button", { class: "btn", type: "submit", id: "issue" }, t("console.issue.submit"));
  const reading = el("progress", { id: "reading", max: "1", value: "0", "aria-label": t("console.issue.reading") });
  const anchoring = el("progress", { id: "anchoring", max: "1", value: "0", "aria-label": t("console.issue.anchoring") });
  const readingText = el("div", { class: "muted", id: "reading-text" });
  const anchoringText = el("div", { class: "muted", id: "anchoring-text" });
  const progress = el("div", { class: "stack", hidden: true }, el("div", {}, el("strong", {}, t("console.issue.reading")), reading, readingText), el("div", {}, el("strong", {}, t("console.issue.anchoring")), anchoring, anchoringText));
  const summary = el("div", { id: "issue-summary", "aria-live": "polite" });
  const errorsBody = el("tbody");
  const errors = el(
    "div",
    { hidden: true, id: "rejections" },
    el("h3", {}, t("console.issue.rejected")),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("console.issue.rejected") }, el("table", { class: "errors" }, el("thead", {}, el("tr", {}, el("th", { scope: "col", class: "num" }, t("console.issue.line")), el("th", { scope: "col" }, t("console.issue.number")), el("th", { scope: "col" }, t("console.issue.reason")))), errorsBody)),
  );
  const form = el(
    "form",
    { class: "stack", novalidate: true },
    el("div", {}, el("label", { for: "type" }, t("console.issue.type")), type),
    el("div", {}, el("label", { for: "records" }, t("console.issue.file")), file, el("div", { class: "hint" }, t("console.issue.file_hint"))),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return toast(t("console.issue.need_file"));
    busy(submit, async () => {
      errorsBody.replaceChildren();
      errors.hidden = true;
      summary.replaceChildren();
      progress.hidden = false;
      reading.value = 0;
      anchoring.value = 0;
      anchoring.removeAttribute("data-done");
      readingText.textContent = anchoringText.textContent = "";
      const body = new FormData();
      body.append("type", type.value);
      body.append("file", chosen);
      const response = await api("/v1/office/issuance", { method: "POST", form: body, token, raw: true }).catch((error) => {
        if (error.status === 401) expired();
        throw error;
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        const lines = buffered.split("\n");
        buffered = lines.pop();
        for (const line of lines) if (line.trim()) onEvent(JSON.parse(line));
      }
    });
  });

  function onEvent(event) {
    if (event.event === "progress") {
      reading.max = Math.max(event.total, 1);
      reading.value = event.bytes;
      readingText.textContent = t("console.issue.read", { read: event.read, percent: Math.round((100 * event.bytes) / Math.max(event.total, 1)) });
    } else if (event.event === "rejected") {
      errors.hidden = false;
      errorsBody.append(el("tr", { dataset: { line: event.line } }, el("td", { class: "num" }, String(event.line)), el("td", {}, event.number || "—"), el("td", {}, event.reason)));
    } else if (event.event === "issued") {
      reading.value = reading.max;
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
    } else if (event.event === "error") {
      summary.replaceChildren(el("p", { class: "notice bad" }, event.detail));
    }
  }

  return el("section", { class: "card", "aria-labelledby": "issue-title" }, el("h2", { id: "issue-title" }, t("console.issue.title")), form, progress, summary, errors);
}
