// Anyone at /verify, signed in or not: type the 验证码 printed on a certificate, or upload its PDF
// or the downloaded JSON, and get the verdict drawn as the unit's (verdict.js). The code and the
// PDF go to POST /v1/verify/code and /v1/verify/pdf, which answer a refusal as a result to show
// (outcome: refused, with its stable code); the JSON goes to POST /v1/verify.
//
// Interface: codeSection() → the card to put on the page. A /verify?code=… link (the QR code on
// the paper) fills the code in and checks it at once.

import { api, ApiError, busy, el, LANG, t } from "/static/common.js";
import { beijingTime, renderRefusal, renderUnitVerdict } from "/static/verdict.js";

const MAX_FILE = 1 << 20; // the service reads no more (CERTLEDGER_MAX_BODY_BYTES, 1 MiB)
const CODE = /^[0-9A-HJKMNP-TV-Z]{16}$/;
let linkChecked = false; // a /verify?code=… link is checked once per page load, not per redraw

/** The code as typed, in its printed form (O reads as 0, I and L as 1); null when it cannot be one. */
export function readCode(typed) {
  const text = typed.replace(/[\s-]/g, "").toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
  return CODE.test(text) ? text.match(/.{4}/g).join("-") : null;
}

function drawAnswer(result, answer) {
  if (answer.outcome === "verified") {
    result.replaceChildren(
      renderUnitVerdict(answer.verification),
      el("p", { class: "muted", id: "printed-until" }, t("vcode.printed_by", { until: beijingTime(answer.printedUntil) })),
    );
  } else {
    result.replaceChildren(renderRefusal({ code: answer.code, detail: answer.detail }));
  }
  result.scrollIntoView({ block: "start" });
}

async function checkCode(code, result) {
  result.replaceChildren(el("p", { class: "muted" }, t("vcode.checking")));
  drawAnswer(result, await api("/v1/verify/code", { method: "POST", body: { code } }));
}

async function checkFile(file, result) {
  if (file.size > MAX_FILE) {
    result.replaceChildren(el("p", { class: "notice bad", id: "file-error" }, t("vcode.too_big", { size: "1 MB" })));
    return;
  }
  const head = new Uint8Array(await file.slice(0, 5).arrayBuffer());
  const isPdf = String.fromCharCode(...head) === "%PDF-";
  result.replaceChildren(el("p", { class: "muted" }, t("vcode.checking")));
  if (isPdf) {
    const response = await fetch("/v1/verify/pdf", {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream", "Accept-Language": LANG === "en" ? "en" : "zh-CN" },
      body: file,
    });
    if (!response.ok) throw new ApiError(response.status, "request.invalid", t("vcode.kind"));
    drawAnswer(result, await response.json());
    return;
  }
  let parsed;
  try {
    parsed = JSON.parse(await file.text());
  } catch {
    parsed = null;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    result.replaceChildren(el("p", { class: "notice bad", id: "file-error" }, t(file.name.toLowerCase().endsWith(".json") ? "vcode.not_json" : "vcode.kind")));
    return;
  }
  const verification = await api("/v1/verify", { method: "POST", body: { document: parsed } });
  result.replaceChildren(renderUnitVerdict(verification));
  result.scrollIntoView({ block: "start" });
}

/** The card: the code's field, the file's, and where the verdict appears. */
export function codeSection() {
  const input = el("input", { id: "print-code", type: "text", autocomplete: "off", spellcheck: "false", autocapitalize: "characters", maxlength: "24", placeholder: "XXXX-XXXX-XXXX-XXXX", "aria-describedby": "print-code-hint" });
  const button = el("button", { class: "btn", type: "submit", id: "check-code" }, t("vcode.check"));
  const file = el("input", { id: "print-file", type: "file", accept: "application/pdf,application/json,.pdf,.json" });
  const result = el("div", { id: "code-result", "aria-live": "polite" });
  const form = el(
    "form",
    { class: "stack", novalidate: true },
    el("label", { for: "print-code" }, t("vcode.code")),
    el("div", { class: "row" }, input, button),
    el("div", { class: "hint", id: "print-code-hint" }, t("vcode.shape")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = readCode(input.value);
    if (!code) {
      result.replaceChildren(el("p", { class: "notice bad", id: "code-shape" }, t("vcode.shape")));
      return;
    }
    input.value = code;
    busy(button, () => checkCode(code, result));
  });
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    busy(null, async () => {
      try {
        await checkFile(chosen, result);
      } finally {
        file.value = "";
      }
    });
  });
  const card = el(
    "section",
    { class: "card stack", id: "code-check", "aria-labelledby": "code-check-title" },
    el("h2", { id: "code-check-title" }, t("vcode.title")),
    el("p", { class: "muted" }, t("vcode.lead")),
    form,
    el("div", {}, el("label", { for: "print-file" }, t("vcode.file")), file),
    result,
  );
  const fromLink = readCode(new URLSearchParams(location.search).get("code") || "");
  if (fromLink && !linkChecked) {
    linkChecked = true;
    input.value = fromLink;
    queueMicrotask(() => busy(button, () => checkCode(fromLink, result)));
  }
  return card;
}
