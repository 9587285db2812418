// The unit's verifier: scan the citizen's QR code with the camera, upload a photo of it, or paste
// the link; the unit's own API key redeems the grant and the page shows the verdict as a checklist.

import { $, api, ApiError, busy, el, explain, formatTime, hideLogout, renderDocument, renderVerdict, showLogout, t, toast } from "/static/common.js";

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
  const form = el("form", { class: "stack" }, el("label", { for: "link" }, t("verify.link")), link, verifyButton);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!link.value.trim()) return toast(t("verify.need_link"));
    busy(verifyButton, () => redeem(link.value.trim(), result));
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
      await redeem(text, result);
    });
  });
  cameraButton.addEventListener("click", () => {
    if (stopCamera) {
      stopCamera();
      return;
    }
    startCamera(video, cameraButton, async (text) => {
      link.value = text;
      await redeem(text, result);
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
  );
}

/** Decodes the QR code in an image: the browser's BarcodeDetector, else the pinned jsQR. */
async function decodeImage(file) {
  const bitmap = await createImageBitmap(file);
  if ("BarcodeDetector" in window) {
    try {
      const found = await new window.BarcodeDetector({ formats: ["qr_code"] }).detect(bitmap);
      if (found.length) return found[0].rawValue;
    } catch {
      /* fall through to jsQR */
    }
  }
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const canvas = el("canvas", { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const code = window.jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "attemptBoth" });
  return code ? code.data : null;
}

async function startCamera(video, button, onCode) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    toast(t("verify.camera.denied"));
    return;
  }
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  button.textContent = t("verify.camera.stop");
  const detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  const canvas = el("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let running = true;
  stopCamera = () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    video.hidden = true;
    button.textContent = t("verify.camera.start");
    stopCamera = null;
  };
  const tick = async () => {
    if (!running) return;
    let text = null;
    if (video.readyState >= 2) {
      if (detector) {
        const found = await detector.detect(video).catch(() => []);
        text = found[0]?.rawValue ?? null;
      } else {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
        text = window.jsQR(pixels.data, pixels.width, pixels.height)?.data ?? null;
      }
    }
    if (text) {
      stopCamera();
      await onCode(text);
    } else setTimeout(tick, 200);
  };
  tick();
}

// ------------------------------------------------------------------ the verdict

async function redeem(link, result) {
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
    result.replaceChildren(renderRedemption(answer.redemption));
  } else {
    const error = new ApiError(answer.problem.status, answer.problem.code, answer.problem.detail);
    result.replaceChildren(
      el(
        "div",
        { class: "card" },
        el("div", { class: "verdict INVALID", role: "alert", dataset: { verdict: "REFUSED", code: error.code || "" } }, el("span", { class: "icon", "aria-hidden": "true" }, "✕"), el("div", {}, el("div", {}, t("verify.refused")), el("div", { class: "why", id: "refusal" }, explain(error)))),
        el("p", { class: "muted" }, t("verify.refused_hint")),
      ),
    );
  }
}

function renderRedemption(redemption) {
  const verification = redemption.verification;
  const grant = redemption.grant;
  const trusted = verification.verdict === "VALID";
  return el(
    "div",
    { class: "stack" },
    el("div", { class: "card" }, renderVerdict(verification)),
    el(
      "div",
      { class: "card" },
      el(
        "dl",
        { class: "fields" },
        el("dt", {}, t("verify.office")), el("dd", { id: "office" }, verification.office || t("verify.office_unknown")),
        el("dt", {}, t("verify.purpose")), el("dd", {}, grant.purpose),
        el("dt", {}, t("verify.uses_left")), el("dd", {}, String(grant.usesLeft)),
        el("dt", {}, t("verify.expires")), el("dd", {}, formatTime(grant.expiresAt)),
      ),
    ),
    el(
      "div",
      { class: "card", id: "disclosed" },
      el("h2", {}, t("verify.disclosed")),
      trusted ? null : el("p", { class: "notice bad" }, t("verify.untrusted")),
      verification.view ? renderDocument(verification.view, { heading: "h3" }) : el("pre", { class: "values" }, JSON.stringify(verification.disclosed, null, 2)),
    ),
  );
}

if (apiKey()) scanView().catch(() => signInView());
else signInView();
