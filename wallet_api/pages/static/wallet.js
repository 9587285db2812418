// The citizen's phone wallet: certificates, grants signed on the device, QR codes, history.
//
// The wallet key never leaves the device unencrypted: this page keeps the encrypted backup
// (Web3 Secret Storage, as deposited at enrolment) and opens it with the citizen's passphrase
// only in memory, to sign a grant. Each grant's link (with its one-time key) is kept on this
// device only, so the QR code can be shown again; the service does not have it.
//
// What the wallet's modules share (the session, `call`, `show`, the key, the grant links, extra
// routes) lives in wallet_core.js; enrolment and reset are in wallet_enrol.js.

import { api, busy, el, explain, formatDate, formatTime, hideLogout, renderDocument, showLogout, t, toast, tx } from "/static/common.js";
import {
  blobToBase64,
  blockedReason,
  call,
  certificates,
  endSession,
  extraRoute,
  nav,
  renderingRoute,
  saveBlob,
  savedLinks,
  show,
  signGrant,
  startSession,
  token,
} from "/static/wallet_core.js";
import { enrolView } from "/static/wallet_enrol.js";

// ------------------------------------------------------------------ other wallet modules' hooks
// Each module imports wallet_core.js and calls addRoute(name, draw) (and may add a tab); one
// import line here loads it.
import "/static/wallet_request.js"; // the scan stand (扫码墩): #/scan and #/q/<id>, the "扫码授权" tab
import "/static/wallet_print.js"; // printing (helper P): #/c/<id>/print with a 验证码 signed on the device

// ------------------------------------------------------------------ (end of the hooks)

const MAX_DAYS = 30; // a grant lasts at most 30 days (POST /v1/grants/draft refuses more)
const MAX_USES = 1000;

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
      startSession(answer.accessToken);
      location.hash = "#/";
      route();
    });
  });
  show(
    el("h1", {}, t("wallet.login.title")),
    el("p", { class: "muted" }, t("wallet.login.lead")),
    form,
    el(
      "div",
      { class: "card stack", id: "first-time" },
      el("a", { class: "btn secondary block", href: "#/enrol", id: "enrol-link" }, t("wallet.enrol.entry")),
      el("a", { class: "btn secondary block", href: "#/reset", id: "reset-link" }, t("wallet.reset.entry")),
    ),
  );
}

async function logout() {
  try {
    await call("/v1/auth/logout", { method: "POST" });
  } catch {
    /* the token is dropped anyway */
  }
  endSession();
  location.hash = "#/";
  route();
}

// ------------------------------------------------------------------ certificates

function statusBadge(status, anchored) {
  if (!anchored) return el("span", { class: "badge warn" }, t("status.pending"));
  const kind = status === "valid" ? "ok" : "bad";
  return el("span", { class: `badge ${kind}` }, t(`status.${status}`));
}

const validity = (item) => `${t("wallet.issued")} ${formatDate(item.issued)} · ${t("wallet.valid_until")} ${formatDate(item.validUntil, { open: t("time.long_term") })}`;

async function listView() {
  const items = await certificates();
  const cards = items.map((item) =>
    el(
      "button",
      { type: "button", class: "card", onclick: () => (location.hash = `#/c/${item.id}`), "aria-label": `${tx(item.titles)} ${item.number}` },
      el("div", { class: "row" }, el("span", { class: "title" }, tx(item.titles)), statusBadge(item.status, item.anchored)),
      el("div", { class: "muted" }, `${t("wallet.number")} ${item.number}`),
      el("div", { class: "muted" }, validity(item)),
    ),
  );
  show(el("h1", {}, t("wallet.certificates")), items.length ? el("div", { class: "cards" }, cards) : el("p", { class: "muted" }, t("wallet.none")));
}

async function certificateView(id) {
  const [certificate, items] = await Promise.all([call(`/v1/certificates/${id}`), certificates()]);
  const summary = items.find((item) => item.id === id);
  const blocked = blockedReason({ ...summary, status: certificate.status });
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
    summary ? el("p", { class: "muted no-print" }, validity(summary)) : null,
    blocked ? el("p", { class: "notice bad no-print", id: "blocked" }, t(blocked)) : null,
    el(
      "div",
      { class: "row no-print" },
      blocked ? null : el("a", { class: "btn", href: `#/c/${id}/share`, id: "share-link" }, t("wallet.share")),
      blocked ? null : el("a", { class: "btn secondary", href: `#/c/${id}/print`, id: "print-link" }, t("wallet.print")),
      download,
    ),
    el("div", { class: "card" }, renderDocument(certificate.view)),
  );
}

// ------------------------------------------------------------------ sharing: a signed grant

async function shareView(id) {
  const [certificate, items] = await Promise.all([call(`/v1/certificates/${id}`), certificates()]);
  const back = el("div", { class: "row" }, el("a", { href: `#/c/${id}` }, `← ${t("wallet.back")}`));
  const blocked = blockedReason({ ...items.find((item) => item.id === id), status: certificate.status });
  if (blocked) {
    // Said before any form: this certificate cannot be shared now, and why.
    return show(back, el("h1", {}, t("wallet.share.title")), el("p", { class: "notice bad", id: "blocked" }, t(blocked)));
  }
  const units = await call("/v1/units?limit=100");
  const { view } = certificate;
  const label = (name) => tx(view.labels?.[name]) || certificate.fieldTitles[name] || name;
  // The fields the certificate holds, in the schema's order; whose record it is always goes.
  const holder = new Set((view.holderFields || []).filter((name) => view.fields.includes(name)));
  const fieldNames = view.fields;
  const unit = el("select", { id: "unit", required: true }, el("option", { value: "" }, t("wallet.share.choose_unit")), units.map((u) => el("option", { value: u.id, dataset: { code: u.creditCode } }, `${u.name}（${u.creditCode}）`)));
  const purpose = el("input", { id: "purpose", type: "text", required: true, maxlength: "200", placeholder: t("wallet.share.purpose_example") });
  const days = el("input", { id: "days", type: "number", min: "1", max: String(MAX_DAYS), value: "7", required: true, inputmode: "numeric", "aria-describedby": "days-hint" });
  const daysHint = el("div", { class: "hint", id: "days-hint", "aria-live": "polite" });
  const uses = el("input", { id: "uses", type: "number", min: "1", max: String(MAX_USES), value: "1", required: true, inputmode: "numeric", "aria-describedby": "uses-hint" });
  const usesHint = el("div", { class: "hint", id: "uses-hint" }, t("wallet.share.uses_limit", { max: MAX_USES }));
  const boxes = fieldNames.map((name) => el("input", { type: "checkbox", id: `field-${name}`, name: "field", value: name, checked: holder.has(name), disabled: holder.has(name) }));
  const preview = el("div", { class: "preview", id: "preview", "aria-live": "polite" });
  const chosenFields = () => boxes.filter((box) => box.checked).map((box) => box.value);
  const updatePreview = () => {
    const chosen = new Set(chosenFields());
    const visible = { ...view, sections: view.sections.filter((section) => (section.field ? chosen.has(section.field) : true)) };
    // Loose fields (one section of many fields) are filtered row by row.
    visible.sections = visible.sections
      .map((section) => (section.field ? section : { ...section, rows: section.rows.filter((row) => chosen.has(row.field)) }))
      .filter((section) => section.kind !== "fields" || section.rows.length);
    visible.hidden = fieldNames.length - chosen.size;
    preview.replaceChildren(el("h3", {}, t("wallet.share.preview")), renderDocument(visible, { heading: "h4" }));
  };
  // The term: the limit is said, the end is shown as it is typed, and more than the limit is
  // refused here (the service would refuse it too) rather than quietly made shorter.
  const dayCount = () => Number(days.value);
  const daysProblem = () => (!Number.isInteger(dayCount()) || dayCount() < 1 ? "wallet.share.days_invalid" : dayCount() > MAX_DAYS ? "wallet.share.days_too_many" : null);
  const updateDays = () => {
    const problem = daysProblem();
    days.setAttribute("aria-invalid", String(Boolean(problem)));
    daysHint.className = problem ? "hint error" : "hint";
    daysHint.textContent = problem ? t(problem, { max: MAX_DAYS }) : t("wallet.share.ends", { max: MAX_DAYS, time: formatTime(new Date(Date.now() + dayCount() * 86400000 - 60000)) });
  };
  days.addEventListener("input", updateDays);
  updateDays();
  boxes.forEach((box) => box.addEventListener("change", updatePreview));
  updatePreview();
  const submit = el("button", { class: "btn block", type: "submit" }, t("wallet.share.sign"));
  const form = el(
    "form",
    { class: "card stack", novalidate: true, id: "share-form" },
    el("div", {}, el("label", { for: "unit" }, t("wallet.share.unit")), unit),
    el(
      "fieldset",
      { class: "fieldpick" },
      el("legend", {}, t("wallet.share.fields")),
      el("p", { class: "hint", id: "holder-note" }, t("wallet.share.holder_always")),
      fieldNames.map((name, i) => el("label", { for: `field-${name}` }, boxes[i], label(name), holder.has(name) ? el("span", { class: "muted" }, t("wallet.share.always")) : null)),
    ),
    preview,
    el("div", {}, el("label", { for: "purpose" }, t("wallet.share.purpose")), purpose),
    el("div", { class: "row two" }, el("div", {}, el("label", { for: "days" }, t("wallet.share.days")), days, daysHint), el("div", {}, el("label", { for: "uses" }, t("wallet.share.uses")), uses, usesHint)),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = chosenFields().sort();
    const useCount = Number(uses.value);
    if (!unit.value) return toast(t("wallet.share.need_unit"));
    if (fields.length <= holder.size && fieldNames.length > holder.size) return toast(t("wallet.share.need_fields"));
    if (!purpose.value.trim()) return toast(t("wallet.share.need_purpose"));
    if (daysProblem()) {
      updateDays();
      days.focus();
      return toast(t(daysProblem(), { max: MAX_DAYS }));
    }
    if (!Number.isInteger(useCount) || useCount < 1 || useCount > MAX_USES) return toast(t("wallet.share.uses_invalid", { max: MAX_USES }));
    busy(submit, async () => {
      const created = await signGrant({
        certificateId: id,
        unitId: unit.value,
        fields,
        purpose: purpose.value.trim(),
        expires: Math.floor(Date.now() / 1000) + dayCount() * 86400 - 60,
        uses: useCount,
      });
      if (created) location.hash = `#/g/${created.grant.id}`;
    });
  });
  show(back, el("h1", {}, t("wallet.share.title")), el("p", { class: "muted" }, `${tx(view.title)} · ${certificate.number}`), form);
}

// ------------------------------------------------------------------ a grant's QR code

/** The certificate's title by its id, from the list (a grant names its certificate so). */
async function certificateTitles() {
  const items = await certificates().catch(() => []);
  return new Map(items.map((item) => [item.id, item]));
}

async function grantView(id) {
  const grant = await call(`/v1/grants/${id}`);
  const certificate = await call(`/v1/certificates/${grant.certificateId}`).catch(() => null);
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
    grantFacts(grant, certificate),
    el("div", { class: "row" }, revoke, print),
  );
}

function grantFacts(grant, certificate) {
  const label = (name) => tx(certificate?.view?.labels?.[name]) || certificate?.fieldTitles?.[name] || name;
  return el(
    "dl",
    { class: "fields card" },
    el("dt", {}, t("wallet.grant.unit")), el("dd", {}, `${grant.unit.name}（${grant.unit.creditCode}）`),
    el("dt", {}, t("wallet.grant.certificate")), el("dd", {}, certificate ? `${tx(certificate.view.title)} · ${grant.certificateNumber}` : grant.certificateNumber),
    el("dt", {}, t("wallet.grant.fields")), el("dd", { id: "grant-fields" }, grant.fields.map(label).join("、")),
    el("dt", {}, t("wallet.grant.purpose")), el("dd", {}, grant.purpose),
    el("dt", {}, t("wallet.grant.expires")), el("dd", {}, formatTime(grant.expiresAt)),
    el("dt", {}, t("wallet.grant.uses")), el("dd", { id: "grant-uses" }, t("wallet.grant.uses_left", { left: grant.usesLeft, total: grant.usesTotal })),
    el("dt", {}, t("wallet.grant.state")), el("dd", {}, el("span", { class: `badge ${grant.state === "active" ? "ok" : "bad"}` }, t(`grant.state.${grant.state}`))),
  );
}

async function grantsView() {
  const [grants, byId] = await Promise.all([call("/v1/grants?limit=100"), certificateTitles()]);
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
    const certificate = byId.get(grant.certificateId);
    return el(
      "div",
      { class: "card stack", dataset: { grant: grant.id, state: grant.state } },
      el("div", { class: "row" }, el("span", { class: "title" }, grant.unit.name), el("span", { class: `badge ${active ? "ok" : "bad"}` }, t(`grant.state.${grant.state}`))),
      el("div", { class: "grant-certificate" }, certificate ? `${tx(certificate.titles)} · ${grant.certificateNumber}` : grant.certificateNumber),
      el("div", { class: "muted" }, `${t("wallet.grant.purpose")}：${grant.purpose}`),
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

/** Every field's label by certificate number, from each certificate's view model. */
async function labelsByNumber(numbers) {
  const items = await certificates();
  const wanted = items.filter((item) => numbers.has(item.number));
  const details = await Promise.all(wanted.map((item) => call(`/v1/certificates/${item.id}`).catch(() => null)));
  return new Map(wanted.map((item, i) => [item.number, { title: item.titles, labels: details[i]?.view?.labels || {} }]));
}

async function historyView() {
  const entries = await call("/v1/me/access-log?limit=100");
  const known = await labelsByNumber(new Set(entries.map((entry) => entry.certificateNumber)));
  const card = (entry) => {
    const certificate = known.get(entry.certificateNumber);
    const fields = entry.fields.map((name) => tx(certificate?.labels[name]) || name).join("、");
    const outcomeKind = entry.outcome === "VALID" ? "ok" : entry.outcome ? "bad" : null;
    return el(
      "li",
      { class: "card history-card", dataset: { event: entry.event } },
      el("div", { class: "row" }, el("span", { class: "title" }, t(`event.${entry.event}`)), entry.outcome ? el("span", { class: `badge ${outcomeKind}` }, t(`outcome.${entry.outcome}`)) : null),
      el("div", { class: "muted" }, formatTime(entry.time)),
      el(
        "dl",
        { class: "fields" },
        el("dt", {}, t("wallet.history.unit")), el("dd", { class: "unit-name" }, entry.unit.name, entry.addressedTo ? el("div", { class: "muted" }, t("wallet.history.addressed_to", { unit: entry.addressedTo.name })) : null),
        el("dt", {}, t("wallet.history.certificate")), el("dd", {}, certificate ? `${tx(certificate.title)} · ${entry.certificateNumber}` : entry.certificateNumber),
        fields ? [el("dt", {}, t("wallet.history.fields")), el("dd", {}, fields)] : null,
        entry.purpose ? [el("dt", {}, t("wallet.history.purpose")), el("dd", {}, entry.purpose)] : null,
      ),
    );
  };
  show(
    el("h1", {}, t("wallet.tab.history")),
    el("p", { class: "muted" }, t("wallet.history.caption")),
    entries.length ? el("ol", { class: "history-cards", "aria-label": t("wallet.tab.history") }, entries.map(card)) : el("p", { class: "muted" }, t("wallet.history.none")),
  );
}

// ------------------------------------------------------------------ printing
// #/c/<id>/print is wallet_print.js's (see the hooks above).

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
  renderingRoute(hash);
  const [path, query] = hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean);
  if (!token()) {
    nav.hidden = true;
    hideLogout();
    if (parts[0] === "enrol" || parts[0] === "reset") return enrolView({ reset: parts[0] === "reset", onEnrolled: () => ((location.hash = "#/"), route()) });
    return loginView();
  }
  nav.hidden = false;
  showLogout(logout);
  selectTab(hash);
  const params = new URLSearchParams(query || "");
  // A route another module added (wallet_core.js `addRoute`): "c/<action>" for a certificate's
  // own screens, otherwise the first part.
  const extra = extraRoute(parts[0] === "c" && parts[2] ? `c/${parts[2]}` : parts[0]);
  try {
    if (extra) await extra(parts, params);
    else if (parts[0] === "c" && parts[2] === "share") await shareView(parts[1]);
    else if (parts[0] === "c") await certificateView(parts[1]);
    else if (parts[0] === "g") await grantView(parts[1]);
    else if (parts[0] === "grants") await grantsView();
    else if (parts[0] === "history") await historyView();
    else await listView();
  } catch (error) {
    if (error.status === 401) {
      endSession();
      toast(t("wallet.session_ended"));
      return loginView();
    }
    show(el("h1", {}, t("error.title")), el("p", { class: "notice bad" }, error.code ? explain(error) : String(error.message || error)));
  }
}

for (const button of nav.querySelectorAll("button")) button.addEventListener("click", () => (location.hash = button.dataset.route));
window.addEventListener("hashchange", route);
route();
