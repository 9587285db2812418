// The scan stand (扫码墩), the citizen's side: scan a unit's request (camera or picture), see who
// asks — the unit's registered name and credit code, read from the service, never from the QR
// code — for which fields and why, pick a certificate, and sign the grant on this device.
//
// The grant is drafted for the request (POST /v1/presentation-requests/{id}/draft: its id is the
// request's nonce, so the nonce is inside what the wallet key signs), created the ordinary way
// (POST /v1/grants, with a one-time key chosen here), and handed to the request
// (POST …/{id}/answer). The unit's screen then shows the verdict by itself.
//
// Routes: #/scan (scan a stand's code) and #/q/<id> (a request; the stand's link /q/<id> opens it).

import { busy, el, LANG, t, toast, tx } from "/static/common.js";
import { decodeImage, startCamera } from "/static/qr_scan.js";
import { addRoute, call, createGrant, keepLink, nav, oneTimeKey, show, token, walletKey } from "/static/wallet_core.js";

const PENDING = "certledger.wallet.pending-request";
const REQUEST_ID = /^[0-9a-f]{32}$/;
let stopCamera = null;

/** The request id in a scanned text: a stand's link (…/q/<id>), or null for anything else. */
export function requestIdOf(text) {
  let url;
  try {
    url = new URL(String(text).trim(), location.origin);
  } catch {
    return null;
  }
  const match = /^\/q\/([0-9a-f]{32})\/?$/.exec(url.pathname);
  return match && url.origin === location.origin ? match[1] : null;
}

function beijing(value) {
  return new Date(value).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai",
    month: LANG === "zh" ? "long" : "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
}

function term(seconds) {
  const [unit, n] = seconds % 86400 === 0 ? ["day", seconds / 86400] : seconds % 3600 === 0 ? ["hour", seconds / 3600] : ["minute", Math.ceil(seconds / 60)];
  return t(n === 1 ? `wreq.term.${unit}` : `wreq.term.${unit}s`, { n });
}

// ------------------------------------------------------------------ scanning a stand's code

async function scanView() {
  stopCamera?.();
  const photo = el("input", { id: "wreq-photo", type: "file", accept: "image/*", capture: "environment" });
  const cameraButton = el("button", { class: "btn", type: "button", id: "wreq-camera" }, t("verify.camera.start"));
  const video = el("video", { id: "wreq-video", playsinline: true, muted: true, hidden: true, "aria-label": t("verify.camera.label") });
  const problem = el("p", { class: "notice bad", id: "wreq-scan-error", hidden: true, role: "alert" });
  const found = (text) => {
    const id = requestIdOf(text);
    if (!id) {
      problem.textContent = t("wreq.not_a_request");
      problem.hidden = false;
      return;
    }
    location.hash = `#/q/${id}`;
  };
  photo.addEventListener("change", () => {
    const file = photo.files?.[0];
    if (!file) return;
    busy(null, async () => {
      const text = await decodeImage(file);
      photo.value = "";
      if (!text) {
        problem.textContent = t("verify.no_code");
        problem.hidden = false;
        return;
      }
      found(text);
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
      found(text);
    });
  });
  show(
    el("h1", {}, t("wreq.scan.title")),
    el("p", { class: "muted" }, t("wreq.scan.lead")),
    el(
      "div",
      { class: "card stack" },
      el("div", { class: "row" }, cameraButton),
      video,
      el("div", {}, el("label", { for: "wreq-photo" }, t("wreq.scan.photo")), photo, el("div", { class: "hint" }, t("verify.photo_hint"))),
      problem,
    ),
  );
}

// ------------------------------------------------------------------ the request and the consent

async function requestView(id) {
  stopCamera?.();
  stopCamera = null;
  if (!REQUEST_ID.test(id || "")) return scanView();
  const asked = await call(`/v1/presentation-requests/${id}/object`);
  const request = asked.request;
  const unitName = request.client.name;
  const who = el(
    "div",
    { class: "card stack", id: "wreq-who" },
    el("p", { class: "muted" }, t("wreq.asks")),
    el("p", { class: "wreq-unit", id: "wreq-unit" }, unitName),
    el("p", { class: "muted", id: "wreq-code" }, t("wreq.credit_code", { code: request.client.creditCode })),
  );
  const details = el(
    "dl",
    { class: "stand-summary", id: "wreq-details" },
    el("dt", {}, t("wreq.fields")),
    el("dd", {}, el("ul", { id: "wreq-fields" }, request.presentationDefinition.fields.map((field) => el("li", {}, tx(field.label))))),
    el("dt", {}, t("wreq.purpose")),
    el("dd", { id: "wreq-purpose" }, request.purpose),
    el("dt", {}, t("wreq.term")),
    el("dd", {}, term(request.grantSeconds)),
    el("dt", {}, t("wreq.uses")),
    el("dd", {}, String(request.uses)),
  );
  if (request.state !== "pending") {
    const key = request.state === "expired" ? "wreq.expired" : "wreq.used";
    return show(el("h1", {}, t("wreq.title")), who, el("p", { class: "notice bad", id: "wreq-closed", role: "alert" }, t(key)));
  }
  const choices = asked.certificates.map((certificate, index) =>
    el(
      "label",
      { for: `wreq-cert-${index}` },
      el("input", { type: "radio", name: "certificate", id: `wreq-cert-${index}`, value: certificate.id, checked: index === 0 }),
      ` ${tx(certificate.title)} · ${certificate.number}`,
    ),
  );
  const consent = el("button", { class: "btn block", type: "submit", id: "wreq-consent" }, t("wreq.consent", { unit: unitName }));
  const decline = el("button", { class: "btn secondary block", type: "button", id: "wreq-decline" }, t("wreq.decline"));
  decline.addEventListener("click", () => {
    toast(t("wreq.declined"));
    location.hash = "#/";
  });
  const form = el(
    "form",
    { class: "card stack", id: "wreq-form", novalidate: true },
    el("fieldset", { class: "fieldpick" }, el("legend", {}, t("wreq.pick")), choices),
    el("p", { class: "hint" }, t("wreq.valid_until", { time: beijing(request.expiresAt) })),
    consent,
    decline,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=certificate]:checked");
    if (!chosen) return toast(t("wreq.need_certificate"));
    busy(consent, () => answer(request, chosen.value));
  });
  show(
    el("h1", {}, t("wreq.title")),
    who,
    el("div", { class: "card" }, details),
    asked.certificates.length ? form : el("p", { class: "notice bad", id: "wreq-none" }, t("wreq.no_certificate")),
    asked.certificates.length ? null : decline,
  );
}

async function answer(request, certificateId) {
  const signer = await walletKey();
  if (!signer) return;
  const draft = await call(`/v1/presentation-requests/${request.id}/draft`, { method: "POST", body: { certificateId } });
  const { EIP712Domain, ...types } = draft.typedData.types;
  const signature = await signer.signTypedData(draft.typedData.domain, types, draft.typedData.message);
  const created = await createGrant({ ...draft.terms, grantId: draft.grantId, signature, key: oneTimeKey() });
  keepLink(created.grant.id, created.link);
  await call(`/v1/presentation-requests/${request.id}/answer`, { method: "POST", body: { reference: created.reference, key: created.key } });
  show(
    el("h1", {}, t("wreq.done.title")),
    el("p", { class: "notice", id: "wreq-done", role: "status" }, t("wreq.done", { unit: request.client.name })),
    el("p", {}, el("a", { href: `#/g/${created.grant.id}` }, t("wreq.done.grant"))),
  );
}

// ------------------------------------------------------------------ routes and the tab

addRoute("scan", () => scanView());
addRoute("q", (parts) => requestView(parts[1]));

// The stand's link opens the wallet on the request; when the citizen must log in first, the
// request waits here until the list is drawn after the login, then opens.
if (location.hash.startsWith("#/q/") && !token()) sessionStorage.setItem(PENDING, location.hash);
window.addEventListener("hashchange", () => {
  const pending = sessionStorage.getItem(PENDING);
  if (pending && token() && (location.hash === "#/" || location.hash === "")) {
    sessionStorage.removeItem(PENDING);
    location.hash = pending;
  }
});

nav.append(el("button", { type: "button", "data-route": "#/scan", "aria-selected": "false", id: "tab-scan" }, t("wreq.tab")));
