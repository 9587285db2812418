// The citizen's phone wallet: certificates, grants signed on the device, QR codes, history.
//
// The wallet key never leaves the device unencrypted: this page keeps the encrypted backup
// (Web3 Secret Storage, as deposited at enrolment) and opens it with the citizen's passphrase
// only in memory, to sign a grant. Each grant's link (with its one-time key) is kept on this
// device only, so the QR code can be shown again; the service does not have it.

import { Wallet } from "/vendor/ethers.js";
import { $, api, busy, el, explain, formatDate, formatTime, hideLogout, LANG, renderDocument, showLogout, t, toast, tx } from "/static/common.js";

const TOKEN = "certledger.wallet.token";
const LINKS = "certledger.wallet.links";
const view = $("#view");
const nav = $("#wallet-nav");
let unlocked = null; // ethers Wallet, in memory only
let certificatesCache = null;

const token = () => sessionStorage.getItem(TOKEN);
const call = (path, options = {}) => api(path, { ...options, token: token() });

function savedLinks() {
  try {
    return JSON.parse(localStorage.getItem(LINKS) || "{}");
  } catch {
    return {};
  }
}

function keepLink(grantId, link) {
  const links = savedLinks();
  links[grantId] = link;
  localStorage.setItem(LINKS, JSON.stringify(links));
}

let renderingFor = null; // the route whose view may be shown: a slower earlier one must not

function show(...nodes) {
  if (renderingFor !== null && renderingFor !== (location.hash || "#/")) return;
  view.replaceChildren(...nodes.flat(Infinity).filter(Boolean));
  const heading = view.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

function selectTab(route) {
  for (const button of nav.querySelectorAll("button")) {
    button.setAttribute("aria-selected", String(route.startsWith(button.dataset.route) && (button.dataset.route !== "#/" || route === "#/" || route.startsWith("#/c/"))));
  }
}

// ------------------------------------------------------------------ logging in

function loginView() {
  nav.hidden = true;
  hideLogout();
  const login = el("input", { id: "login", type: "text", name: "login", autocomplete: "username", inputmode: "text", required: true, maxlength: "18" });
  const password = el("input", { id: "password", type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = el("button", { class: "btn block", type: "submit" }, t("wallet.login.submit"));
  const form = el(
    "form",
    { class: "card stack", novalidate: true },
    el("div", {}, el("label", { for: "login" }, t("wallet.login.id")), login, el("div", { class: "hint" }, t("wallet.login.id_hint"))),
    el("div", {}, el("label", { for: "password" }, t("wallet.login.password")), password),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const answer = await api("/v1/auth/login", { method: "POST", body: { login: login.value.trim(), password: password.value } });
      sessionStorage.setItem(TOKEN, answer.accessToken);
      certificatesCache = null;
      location.hash = "#/";
      route();
    });
  });
  show(el("h1", {}, t("wallet.login.title")), el("p", { class: "muted" }, t("wallet.login.lead")), form);
}

async function logout() {
  try {
    await call("/v1/auth/logout", { method: "POST" });
  } catch {
    /* the token is dropped anyway */
  }
  sessionStorage.removeItem(TOKEN);
  unlocked = null;
  certificatesCache = null;
  location.hash = "#/";
  route();
}

// ------------------------------------------------------------------ certificates

async function certificates() {
  certificatesCache ??= await call("/v1/certificates");
  return certificatesCache;
}

function statusBadge(status, anchored) {
  if (!anchored) return el("span", { class: "badge warn" }, t("status.pending"));
  const kind = status === "valid" ? "ok" : "bad";
  return el("span", { class: `badge ${kind}` }, t(`status.${status}`));
}

async function listView() {
  const items = await certificates();
  const cards = items.map((item) =>
    el(
      "button",
      { type: "button", class: "card", onclick: () => (location.hash = `#/c/${item.id}`), "aria-label": `${tx(item.titles)} ${item.number}` },
      el("div", { class: "row" }, el("span", { class: "title" }, tx(item.titles)), statusBadge(item.status, item.anchored)),
      el("div", { class: "muted" }, `${t("wallet.number")} ${item.number}`),
      el("div", { class: "muted" }, `${t("wallet.issued")} ${formatDate(item.issued)} · ${t("wallet.valid_until")} ${formatDate(item.validUntil)}`),
    ),
  );
  show(el("h1", {}, t("wallet.certificates")), items.length ? el("div", { class: "cards" }, cards) : el("p", { class: "muted" }, t("wallet.none")));
}

async function certificateView(id) {
  const certificate = await call(`/v1/certificates/${id}`);
  const summary = (await certificates()).find((item) => item.id === id);
  const download = el("button", { type: "button", class: "btn secondary" }, t("wallet.download"));
  download.addEventListener("click", () =>
    busy(download, async () => {
      const response = await call(`/v1/certificates/${id}/document`, { raw: true });
      saveBlob(await response.blob(), `${certificate.number}.json`);
    }),
  );
  show(
    el("div", { class: "row no-print" }, el("a", { href: "#/" }, `← ${t("wallet.back")}`)),
    el("h1", { class: "no-print" }, tx(certificate.view.title)),
    el(
      "div",
      { class: "row no-print" },
      statusBadge(certificate.status, summary?.anchored ?? true),
      el("span", { class: "muted" }, `${t("wallet.number")} ${certificate.number}`),
    ),
    el(
      "div",
      { class: "row no-print" },
      el("a", { class: "btn", href: `#/c/${id}/share` }, t("wallet.share")),
      el("a", { class: "btn secondary", href: `#/c/${id}/print` }, t("wallet.print")),
      download,
    ),
    el("div", { class: "card" }, renderDocument(certificate.view)),
  );
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ------------------------------------------------------------------ sharing: a signed grant

async function shareView(id) {
  const [certificate, units] = await Promise.all([call(`/v1/certificates/${id}`), call("/v1/units?limit=100")]);
  const fieldNames = Object.keys(certificate.fieldTitles);
  const unit = el("select", { id: "unit", required: true }, el("option", { value: "" }, t("wallet.share.choose_unit")), units.map((u) => el("option", { value: u.id, dataset: { code: u.creditCode } }, `${u.name}（${u.creditCode}）`)));
  const purpose = el("input", { id: "purpose", type: "text", required: true, maxlength: "200", placeholder: t("wallet.share.purpose_example") });
  const days = el("input", { id: "days", type: "number", min: "1", max: "30", value: "7", required: true });
  const uses = el("input", { id: "uses", type: "number", min: "1", max: "100", value: "1", required: true });
  const boxes = fieldNames.map((name) => el("input", { type: "checkbox", id: `field-${name}`, name: "field", value: name }));
  const preview = el("div", { class: "preview", id: "preview", "aria-live": "polite" });
  const updatePreview = () => {
    const chosen = new Set(boxes.filter((box) => box.checked).map((box) => box.value));
    const visible = { ...certificate.view, sections: certificate.view.sections.filter((section) => section.field ? chosen.has(section.field) : true) };
    // Loose fields (one section of many fields) are filtered row by row.
    visible.sections = visible.sections
      .map((section) => (section.field ? section : { ...section, rows: section.rows.filter((row) => chosen.has(row.field)) }))
      .filter((section) => section.kind !== "fields" || section.rows.length);
    visible.hidden = fieldNames.length - chosen.size;
    preview.replaceChildren(el("h3", {}, t("wallet.share.preview")), chosen.size ? renderDocument(visible, { heading: "h4" }) : el("p", { class: "muted" }, t("wallet.share.preview_empty")));
  };
  boxes.forEach((box) => box.addEventListener("change", updatePreview));
  updatePreview();
  const submit = el("button", { class: "btn block", type: "submit" }, t("wallet.share.sign"));
  const form = el(
    "form",
    { class: "card stack", novalidate: true },
    el("div", {}, el("label", { for: "unit" }, t("wallet.share.unit")), unit),
    el(
      "fieldset",
      { class: "fieldpick" },
      el("legend", {}, t("wallet.share.fields")),
      fieldNames.map((name, i) => el("label", { for: `field-${name}` }, boxes[i], certificate.fieldTitles[name] || name)),
    ),
    preview,
    el("div", {}, el("label", { for: "purpose" }, t("wallet.share.purpose")), purpose),
    el("div", { class: "row" }, el("div", {}, el("label", { for: "days" }, t("wallet.share.days")), days), el("div", {}, el("label", { for: "uses" }, t("wallet.share.uses")), uses)),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = boxes.filter((box) => box.checked).map((box) => box.value).sort();
    if (!unit.value) return toast(t("wallet.share.need_unit"));
    if (!fields.length) return toast(t("wallet.share.need_fields"));
    if (!purpose.value.trim()) return toast(t("wallet.share.need_purpose"));
    const dayCount = Math.min(30, Math.max(1, Number(days.value) || 1));
    busy(submit, async () => {
      const signer = await walletKey();
      if (!signer) return;
      const terms = {
        certificateId: id,
        unitId: unit.value,
        fields,
        purpose: purpose.value.trim(),
        expires: Math.floor(Date.now() / 1000) + dayCount * 86400 - 60,
        uses: Math.max(1, Number(uses.value) || 1),
      };
      const draft = await call("/v1/grants/draft", { method: "POST", body: terms });
      const { EIP712Domain, ...types } = draft.typedData.types;
      const signature = await signer.signTypedData(draft.typedData.domain, types, draft.typedData.message);
      // The link's one-time key is chosen here, so that an answer lost on the way (a dropped
      // connection, a 503) can be asked for again: the same request returns the same grant.
      const body = { ...terms, grantId: draft.grantId, signature, key: oneTimeKey() };
      const created = await createGrant(body);
      keepLink(created.grant.id, created.link);
      sessionStorage.setItem(`certledger.qr.${created.grant.id}`, created.qrPng);
      location.hash = `#/g/${created.grant.id}`;
    });
  });
  show(el("div", { class: "row" }, el("a", { href: `#/c/${id}` }, `← ${t("wallet.back")}`)), el("h1", {}, t("wallet.share.title")), el("p", { class: "muted" }, certificate.number), form);
}

/** 32 random bytes in base64url without padding: a grant link's one-time key. */
function oneTimeKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Creates a grant, sending the same request again (twice at most) when the answer was lost. */
async function createGrant(body) {
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

/** The wallet key, opened from its encrypted backup with the citizen's passphrase. */
async function walletKey() {
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

// ------------------------------------------------------------------ a grant's QR code

async function grantView(id) {
  const grant = await call(`/v1/grants/${id}`);
  const titles = (await call(`/v1/certificates/${grant.certificateId}`).catch(() => null))?.fieldTitles || {};
  const link = savedLinks()[id];
  let png = sessionStorage.getItem(`certledger.qr.${id}`);
  if (!png && link && grant.state === "active") {
    const response = await call(`/v1/grants/${id}/qr`, { method: "POST", body: { key: link.split("#")[1], format: "png" }, raw: true });
    png = await blobToBase64(await response.blob());
  }
  const qr =
    grant.state === "active" && png
      ? el("div", { class: "qr card" }, el("img", { id: "grant-qr", src: `data:image/png;base64,${png}`, alt: t("wallet.grant.qr_alt", { unit: grant.unit.name }), width: "340", height: "340" }), el("p", { class: "muted" }, t("wallet.grant.scan")), link ? el("input", { type: "text", readonly: true, value: link, "aria-label": t("wallet.grant.link"), id: "grant-link" }) : null)
      : el("p", { class: "notice" }, grant.state === "active" ? t("wallet.grant.other_device") : t(`grant.state.${grant.state}`));
  const revoke = grant.state === "active" ? el("button", { type: "button", class: "btn danger" }, t("wallet.grant.revoke")) : null;
  revoke?.addEventListener("click", () =>
    busy(revoke, async () => {
      if (!confirm(t("wallet.grant.revoke_confirm"))) return;
      await call(`/v1/grants/${id}/revoke`, { method: "POST" });
      sessionStorage.removeItem(`certledger.qr.${id}`);
      toast(t("wallet.grant.revoked"));
      route();
    }),
  );
  const print = grant.state === "active" && link ? el("a", { class: "btn secondary", href: `#/c/${grant.certificateId}/print?grant=${id}` }, t("wallet.print")) : null;
  show(
    el("div", { class: "row" }, el("a", { href: "#/grants" }, `← ${t("wallet.tab.grants")}`)),
    el("h1", {}, t("wallet.grant.title", { unit: grant.unit.name })),
    qr,
    grantFacts(grant, titles),
    el("div", { class: "row" }, revoke, print),
  );
}

function blobToBase64(blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1]);
    reader.readAsDataURL(blob);
  });
}

function grantFacts(grant, titles) {
  return el(
    "dl",
    { class: "fields card" },
    el("dt", {}, t("wallet.grant.unit")), el("dd", {}, `${grant.unit.name}（${grant.unit.creditCode}）`),
    el("dt", {}, t("wallet.grant.certificate")), el("dd", {}, grant.certificateNumber),
    el("dt", {}, t("wallet.grant.fields")), el("dd", { id: "grant-fields" }, grant.fields.map((name) => titles[name] || name).join("、")),
    el("dt", {}, t("wallet.grant.purpose")), el("dd", {}, grant.purpose),
    el("dt", {}, t("wallet.grant.expires")), el("dd", {}, formatTime(grant.expiresAt)),
    el("dt", {}, t("wallet.grant.uses")), el("dd", { id: "grant-uses" }, t("wallet.grant.uses_left", { left: grant.usesLeft, total: grant.usesTotal })),
    el("dt", {}, t("wallet.grant.state")), el("dd", {}, el("span", { class: `badge ${grant.state === "active" ? "ok" : "bad"}` }, t(`grant.state.${grant.state}`))),
  );
}

async function grantsView() {
  const grants = await call("/v1/grants?limit=100");
  const card = (grant) => {
    const active = grant.state === "active";
    const revoke = active ? el("button", { type: "button", class: "btn danger", "aria-label": `${t("wallet.grant.revoke")} · ${grant.unit.name}` }, t("wallet.grant.revoke")) : null;
    revoke?.addEventListener("click", () =>
      busy(revoke, async () => {
        if (!confirm(t("wallet.grant.revoke_confirm"))) return;
        await call(`/v1/grants/${grant.id}/revoke`, { method: "POST" });
        sessionStorage.removeItem(`certledger.qr.${grant.id}`);
        toast(t("wallet.grant.revoked"));
        await grantsView();
      }),
    );
    return el(
      "div",
      { class: "card stack", dataset: { grant: grant.id, state: grant.state } },
      el("div", { class: "row" }, el("span", { class: "title" }, grant.unit.name), el("span", { class: `badge ${active ? "ok" : "bad"}` }, t(`grant.state.${grant.state}`))),
      el("div", { class: "muted" }, `${grant.certificateNumber} · ${grant.purpose}`),
      el("div", { class: "muted" }, `${t("wallet.grant.uses_left", { left: grant.usesLeft, total: grant.usesTotal })} · ${t("wallet.grant.expires")} ${formatTime(grant.expiresAt)}`),
      el("div", { class: "row" }, el("a", { class: "btn secondary", href: `#/g/${grant.id}` }, active ? t("wallet.grant.show") : t("wallet.grant.details")), revoke),
    );
  };
  const active = grants.filter((grant) => grant.state === "active");
  const ended = grants.filter((grant) => grant.state !== "active");
  show(
    el("h1", {}, t("wallet.tab.grants")),
    grants.length ? null : el("p", { class: "muted" }, t("wallet.grants.none")),
    active.length ? [el("h2", {}, t("wallet.grants.active")), el("div", { class: "cards" }, active.map(card))] : null,
    ended.length ? [el("h2", {}, t("wallet.grants.ended")), el("div", { class: "cards" }, ended.map(card))] : null,
  );
}

// ------------------------------------------------------------------ who saw what

async function historyView() {
  const entries = await call("/v1/me/access-log?limit=100");
  const table = el(
    "table",
    {},
    el("caption", { class: "muted" }, t("wallet.history.caption")),
    el("thead", {}, el("tr", {}, ["time", "event", "unit", "certificate", "fields", "purpose"].map((name) => el("th", { scope: "col" }, t(`wallet.history.${name}`))))),
    el(
      "tbody",
      {},
      entries.map((entry) =>
        el(
          "tr",
          {},
          el("td", {}, formatTime(entry.time)),
          el("td", {}, t(`event.${entry.event}`), entry.outcome ? el("div", { class: "muted" }, t(`outcome.${entry.outcome}`)) : null),
          el("td", {}, entry.unit.name, entry.addressedTo ? el("div", { class: "muted" }, t("wallet.history.addressed_to", { unit: entry.addressedTo.name })) : null),
          el("td", {}, entry.certificateNumber),
          el("td", {}, entry.fields.join("、")),
          el("td", {}, entry.purpose),
        ),
      ),
    ),
  );
  show(el("h1", {}, t("wallet.tab.history")), entries.length ? el("div", { class: "table-wrap card", tabindex: "0", role: "region", "aria-label": t("wallet.tab.history") }, table) : el("p", { class: "muted" }, t("wallet.history.none")));
}

// ------------------------------------------------------------------ printing

async function printView(id, grantId) {
  const certificate = await call(`/v1/certificates/${id}`);
  const grants = (await call("/v1/grants?limit=100")).filter((grant) => grant.certificateId === id && grant.state === "active" && savedLinks()[grant.id]);
  const choice = el("select", { id: "print-grant" }, el("option", { value: "" }, t("wallet.print.no_qr")), grants.map((grant) => el("option", { value: grant.id, selected: grant.id === grantId }, `${grant.unit.name} · ${grant.purpose}`)));
  const qrBox = el("div", { class: "qr" });
  const drawQr = async () => {
    qrBox.replaceChildren();
    const link = savedLinks()[choice.value];
    if (!choice.value || !link) return;
    const response = await call(`/v1/grants/${choice.value}/qr`, { method: "POST", body: { key: link.split("#")[1], format: "png" }, raw: true });
    const grant = grants.find((item) => item.id === choice.value);
    qrBox.append(el("img", { src: `data:image/png;base64,${await blobToBase64(await response.blob())}`, alt: t("wallet.grant.qr_alt", { unit: grant.unit.name }), width: "180", height: "180" }), el("p", { class: "muted" }, t("wallet.print.qr_for", { unit: grant.unit.name, purpose: grant.purpose })));
  };
  choice.addEventListener("change", drawQr);
  const printButton = el("button", { type: "button", class: "btn" }, t("wallet.print.print"));
  printButton.addEventListener("click", () => window.print());
  const pdf = el("button", { type: "button", class: "btn secondary" }, t("wallet.print.pdf"));
  pdf.addEventListener("click", () =>
    busy(pdf, async () => {
      const link = choice.value ? savedLinks()[choice.value] : null;
      const response = await call(`/v1/certificates/${id}/pdf`, { method: "POST", body: { link, lang: LANG }, raw: true });
      saveBlob(await response.blob(), `${certificate.number}.pdf`);
    }),
  );
  show(
    el("div", { class: "row no-print" }, el("a", { href: `#/c/${id}` }, `← ${t("wallet.back")}`)),
    el("h1", { class: "no-print" }, t("wallet.print.title")),
    el("div", { class: "card no-print stack" }, el("label", { for: "print-grant" }, t("wallet.print.qr")), choice, el("div", { class: "hint" }, t("wallet.print.qr_hint")), el("div", { class: "row" }, printButton, pdf)),
    el("div", { class: "card" }, renderDocument(certificate.view), el("p", { class: "muted" }, `${t("wallet.number")} ${certificate.number}`), qrBox),
  );
  await drawQr();
}

// ------------------------------------------------------------------ routing

let drawing = null; // the route being drawn now: a second request for it waits for nothing

async function route() {
  const hash = location.hash || "#/";
  if (drawing === hash) return; // a hash set and an explicit redraw in one step: draw once
  drawing = hash;
  try {
    await draw(hash);
  } finally {
    if (drawing === hash) drawing = null;
  }
}

async function draw(hash) {
  renderingFor = hash;
  if (!token()) return loginView();
  nav.hidden = false;
  showLogout(logout);
  selectTab(hash);
  const [path, query] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean);
  try {
    if (parts[0] === "c" && parts[2] === "share") await shareView(parts[1]);
    else if (parts[0] === "c" && parts[2] === "print") await printView(parts[1], new URLSearchParams(query || "").get("grant"));
    else if (parts[0] === "c") await certificateView(parts[1]);
    else if (parts[0] === "g") await grantView(parts[1]);
    else if (parts[0] === "grants") await grantsView();
    else if (parts[0] === "history") await historyView();
    else await listView();
  } catch (error) {
    if (error.status === 401) {
      sessionStorage.removeItem(TOKEN);
      toast(t("wallet.session_ended"));
      return loginView();
    }
    show(el("h1", {}, t("error.title")), el("p", { class: "notice bad" }, error.code ? explain(error) : String(error.message || error)));
  }
}

for (const button of nav.querySelectorAll("button")) button.addEventListener("click", () => (location.hash = button.dataset.route));
window.addEventListener("hashchange", route);
route();
