// The unit's verifier: scan the citizen's QR code with the camera, upload a photo of it, or paste
// the link; the unit's own API key redeems the grant and the page shows the verdict, document
// first (verdict.js), and the unit's own history of verifications with their receipts.

import { $, api, ApiError, busy, el, hideLogout, showLogout, t, toast } from "/static/common.js";
import { renderRefusal, renderUnitVerdict } from "/static/verdict.js";
import { decodeImage, startCamera } from "/static/qr_scan.js";
import { historySection } from "/static/verify_history.js";
import { codeSection } from "/static/verify_code.js";

const KEY = "certledger.unit.key";
const view = $("#view");
let stopCamera = null;

const apiKey = () => sessionStorage.getItem(KEY);

function show(...nodes) {
  view.replaceChildren(...nodes);
}

// ------------------------------------------------------------------ signing in with the unit's key

function signInView() {
  hideLogout();
  const key = el("input", { id: "api-key", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const submit = el("button", { class: "btn block", type: "submit" }, t("verify.signin.submit"));
  const form = el("form", { class: "card stack", novalidate: true }, el("div", {}, el("label", { for: "api-key" }, t("verify.signin.key")), key, el("div", { class: "hint" }, t("verify.signin.hint"))), submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      await api("/v1/units/me", { apiKey: key.value.trim() });
      sessionStorage.setItem(KEY, key.value.trim());
      await scanView();
    });
  });
  show(el("h1", {}, t("verify.signin.title")), el("p", { class: "muted" }, t("verify.signin.lead")), form);
  view.append(codeSection()); // Hook (helper P): anyone checks a printout's 验证码, PDF or JSON — verify_code.js.
}

// ------------------------------------------------------------------ scanning

async function scanView() {
  const unit = await api("/v1/units/me", { apiKey: apiKey() });
  showLogout(() => {
    sessionStorage.removeItem(KEY);
    stopCamera?.();
    signInView();
  });
  const fromLink = location.pathname.startsWith("/r/") && location.hash.length > 1 ? location.href : "";
  const link = el("input", { id: "link", type: "text", value: fromLink, placeholder: `${location.origin}/r/…#…`, spellcheck: "false", autocomplete: "off" });
  const verifyButton = el("button", { class: "btn", type: "submit", id: "verify-link" }, t("verify.check"));
  const photo = el("input", { id: "photo", type: "file", accept: "image/*", capture: "environment" });
  const cameraButton = el("button", { class: "btn secondary", type: "button", id: "camera-button" }, t("verify.camera.start"));
  const video = el("video", { id: "camera", playsinline: true, muted: true, hidden: true, "aria-label": t("verify.camera.label") });
  const result = el("div", { id: "result", "aria-live": "polite" });
  const history = historySection(apiKey);
  const form = el("form", { class: "stack" }, el("label", { for: "link" }, t("verify.link")), link, verifyButton);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!link.value.trim()) return toast(t("verify.need_link"));
    busy(verifyButton, () => redeem(link.value.trim(), result, history));
  });
  photo.addEventListener("change", () => {
    const file = photo.files?.[0];
    if (!file) return;
    busy(null, async () => {
      const text = await decodeImage(file);
      photo.value = "";
      if (!text) {
        result.replaceChildren(el("p", { class: "notice bad", id: "decode-error" }, t("verify.no_code")));
        return;
      }
      link.value = text;
      await redeem(text, result, history);
    });
  });
  cameraButton.addEventListener("click", async () => {
    if (stopCamera) {
      stopCamera();
      stopCamera = null;
      return;
    }
    stopCamera = await startCamera(video, cameraButton, async (text) => {
      stopCamera = null;
      link.value = text;
      await redeem(text, result, history);
    });
  });
  show(
    el("h1", {}, t("verify.title")),
    el("p", { class: "muted" }, t("verify.as_unit", { unit: unit.name, code: unit.creditCode })),
    el(
      "div",
      { class: "card stack" },
      el("h2", {}, t("verify.scan")),
      el("div", { class: "row" }, cameraButton),
      video,
      el("div", {}, el("label", { for: "photo" }, t("verify.photo")), photo, el("div", { class: "hint" }, t("verify.photo_hint"))),
      form,
    ),
    result,
    history,
  );
  view.append(codeSection()); // Hook (helper P): a printout's 验证码, PDF or JSON — verify_code.js.
  // Hook (helper S): the scan stand (扫码墩), where the unit asks and the citizen consents — stand.js.
  view.querySelector("p.muted")?.after(el("div", { class: "row" }, el("button", { class: "btn secondary", type: "button", id: "open-stand", onclick: openStand }, t("stand.open"))));
  if (location.hash === "#stand") openStand();
}

function openStand() {
  stopCamera?.();
  stopCamera = null;
  window.history.replaceState(null, "", "#stand");
  const back = () => (window.history.replaceState(null, "", location.pathname + location.search), scanView());
  const signedOut = () => (sessionStorage.removeItem(KEY), signInView());
  busy(null, async () => (await import("/static/stand.js")).standView({ view, apiKey: apiKey(), back, signedOut }));
}

// Decoding QR codes (photo or camera) is shared with the wallet's scan-to-consent: qr_scan.js.

// ------------------------------------------------------------------ the verdict

async function redeem(link, result, history) {
  result.replaceChildren(el("p", { class: "muted" }, t("verify.checking")));
  let answer;
  try {
    answer = await api("/verify/redeem", { method: "POST", body: { link }, apiKey: apiKey() });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) {
      sessionStorage.removeItem(KEY);
      toast(t("verify.signin.again"));
      signInView();
      return;
    }
    answer = { outcome: "refused", problem: { status: error.status, code: error.code, detail: error.message } };
  }
  if (answer.outcome === "redeemed") {
    result.replaceChildren(renderUnitVerdict(answer.redemption.verification, { grant: answer.redemption.grant }));
    result.scrollIntoView({ block: "start" });
    history.refresh();
  } else {
    result.replaceChildren(renderRefusal(answer.problem));
  }
}

if (apiKey()) scanView().catch(() => signInView());
else signInView();
