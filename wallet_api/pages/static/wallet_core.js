// What every part of the citizen's wallet page shares: the session's token and the API client,
// drawing a view, the wallet key opened from its encrypted backup (in memory only), the grant
// links kept on this device, and a table of extra routes that other wallet modules add
// (`addRoute("scan", draw)` for #/scan…, `addRoute("c/print", draw)` to draw #/c/<id>/print in
// place of the built-in view), so that a module of its own adds a screen with one import line.

import { Wallet } from "/vendor/ethers.js";
import { $, api, el, t, toast } from "/static/common.js";

const TOKEN = "certledger.wallet.token";
const LINKS = "certledger.wallet.links";

export const view = $("#view");
export const nav = $("#wallet-nav");

let unlocked = null; // ethers Wallet, in memory only
let certificatesCache = null;

export const token = () => sessionStorage.getItem(TOKEN);

/** Starts a session with the token of a login (or of an enrolment followed by a login). */
export function startSession(accessToken) {
  sessionStorage.setItem(TOKEN, accessToken);
  certificatesCache = null;
}

/** Forgets the token, the opened key and what was read with them. */
export function endSession() {
  sessionStorage.removeItem(TOKEN);
  unlocked = null;
  certificatesCache = null;
}

/** Calls the API as the signed-in citizen (see common.js `api`). */
export const call = (path, options = {}) => api(path, { ...options, token: token() });

/** The citizen's certificates (the list), read once per session or after `forgetCertificates`. */
export async function certificates() {
  certificatesCache ??= await call("/v1/certificates");
  return certificatesCache;
}

export function forgetCertificates() {
  certificatesCache = null;
}

// ------------------------------------------------------------------ drawing a view

let renderingFor = null; // the route whose view may be shown: a slower earlier one must not

/** Marks `hash` as the route being drawn: a view drawn for another route is dropped. */
export function renderingRoute(hash) {
  renderingFor = hash;
}

/**
 * Replaces the page's view with `nodes` and moves focus to its heading, for screen readers
 * (the heading is focused programmatically and draws no outline: see app.css).
 */
export function show(...nodes) {
  if (renderingFor !== null && renderingFor !== (location.hash || "#/")) return;
  view.replaceChildren(...nodes.flat(Infinity).filter(Boolean));
  const heading = view.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

// ------------------------------------------------------------------ what a certificate allows

/** Today in Beijing, as YYYY-MM-DD: the day a certificate's validity is judged by. */
function todayInBeijing() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

/**
 * Why a certificate (its summary from GET /v1/certificates: status, anchored, validUntil; the
 * status is best taken fresh from GET /v1/certificates/{id}, as the list is read once) can be
 * neither shared nor printed, as a message key — or null when it can. The service refuses a grant
 * for anything but a valid, anchored certificate in its term; the page says so before any form.
 */
export function blockedReason(summary) {
  if (!summary) return null;
  if (["suspended", "revoked", "superseded"].includes(summary.status)) return `wallet.blocked.${summary.status}`;
  if (summary.anchored === false) return "wallet.blocked.pending";
  if (summary.validUntil && summary.validUntil < todayInBeijing()) return "wallet.blocked.expired";
  return null;
}

// ------------------------------------------------------------------ routes added by other modules

const extraRoutes = new Map(); // "scan" → async (parts, query) => void

/**
 * Adds a screen: `draw(parts, query)` runs for every hash whose first part is `name` ("scan" for
 * #/scan/…), or for a certificate's own screen when `name` is "c/<screen>" (#/c/<id>/<screen>).
 * `parts` are the hash's parts split at "/", `query` its URLSearchParams.
 */
export function addRoute(name, draw) {
  extraRoutes.set(name, draw);
}

export function extraRoute(name) {
  return extraRoutes.get(name);
}

// ------------------------------------------------------------------ grant links on this device

export function savedLinks() {
  try {
    return JSON.parse(localStorage.getItem(LINKS) || "{}");
  } catch {
    return {};
  }
}

export function keepLink(grantId, link) {
  const links = savedLinks();
  links[grantId] = link;
  localStorage.setItem(LINKS, JSON.stringify(links));
}

/** 32 random bytes in base64url without padding: a grant link's one-time key. */
export function oneTimeKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Creates a grant, sending the same request again (twice at most) when the answer was lost. */
export async function createGrant(body) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call("/v1/grants", { method: "POST", body });
    } catch (error) {
      const lost = error.status === 0 || error.status === 503;
      if (!lost || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}

/**
 * Drafts, signs on the device and creates a grant for `terms` ({certificateId, unitId, fields,
 * purpose, expires, uses}); null when the citizen cancels the passphrase. The link is kept here.
 */
export async function signGrant(terms) {
  const signer = await walletKey();
  if (!signer) return null;
  const draft = await call("/v1/grants/draft", { method: "POST", body: terms });
  const { EIP712Domain, ...types } = draft.typedData.types;
  const signature = await signer.signTypedData(draft.typedData.domain, types, draft.typedData.message);
  // The link's one-time key is chosen here, so that an answer lost on the way (a dropped
  // connection, a 503) can be asked for again: the same request returns the same grant.
  const created = await createGrant({ ...terms, grantId: draft.grantId, signature, key: oneTimeKey() });
  keepLink(created.grant.id, created.link);
  sessionStorage.setItem(`certledger.qr.${created.grant.id}`, created.qrPng);
  return created;
}

// ------------------------------------------------------------------ the wallet key

/** The wallet key, opened from its encrypted backup with the citizen's passphrase. */
export async function walletKey() {
  if (unlocked) return unlocked;
  const profile = await call("/v1/me");
  const stored = `certledger.wallet.backup.${profile.walletAddress.toLowerCase()}`;
  let backup = localStorage.getItem(stored);
  if (!backup) {
    backup = JSON.stringify(await call("/v1/me/key-backup"));
    localStorage.setItem(stored, backup);
  }
  const passphrase = await askPassphrase();
  if (passphrase === null) return null;
  toast(t("wallet.key.opening"));
  try {
    const wallet = await Wallet.fromEncryptedJson(backup, passphrase);
    if (wallet.address.toLowerCase() !== profile.walletAddress.toLowerCase()) throw new Error(t("wallet.key.other"));
    unlocked = wallet;
    return wallet;
  } catch (error) {
    throw new Error(error.message === t("wallet.key.other") ? error.message : t("wallet.key.wrong"));
  }
}

/** Keeps a key just made on this device (at enrolment) open for the session. */
export function holdKey(wallet) {
  unlocked = wallet;
}

function askPassphrase() {
  return new Promise((resolve) => {
    const input = el("input", { id: "passphrase", type: "password", autocomplete: "off", required: true });
    const dialog = el(
      "dialog",
      { "aria-labelledby": "passphrase-title" },
      el(
        "form",
        { method: "dialog", class: "stack" },
        el("h2", { id: "passphrase-title" }, t("wallet.key.title")),
        el("p", { class: "muted" }, t("wallet.key.lead")),
        el("label", { for: "passphrase" }, t("wallet.key.passphrase")),
        input,
        el("div", { class: "row" }, el("button", { class: "btn", value: "ok" }, t("wallet.key.open")), el("button", { class: "btn secondary", value: "cancel", formnovalidate: true }, t("wallet.cancel"))),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? input.value : null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

// ------------------------------------------------------------------ files

export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function blobToBase64(blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1]);
    reader.readAsDataURL(blob);
  });
}
