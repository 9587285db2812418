// The console's search card: one box finds a person's certificates — by the start of a number,
// an identity number or a name (the server reads which) — with the holder masked; choosing one
// shows its revisions, and revoking, suspending or reinstating it asks, in a dialog, for one of
// the reasons that fit that action.

import { busy, el, explain, formatDate, formatTime, t, toast, tx } from "/static/common.js";

const WAYS = ["auto", "number", "identity", "name"];
const MORE = "X-More-Results";
// What each current status allows; a revoked certificate is final.
const ACTIONS = { valid: ["suspend", "revoke"], suspended: ["reinstate", "revoke"], revoked: [] };

export function searchCard(call, reasons) {
  const query = el("input", { id: "number", type: "search", required: true, maxlength: "40", spellcheck: "false", autocomplete: "off", "aria-describedby": "search-hint" });
  const by = el("select", { id: "search-by" }, WAYS.map((way) => el("option", { value: way }, t(`office.search.by.${way}`))));
  const submit = el("button", { class: "btn", type: "submit" }, t("console.search.submit"));
  const results = el("div", { id: "results", "aria-live": "polite" });
  const found = el("div", { id: "found", tabindex: "-1" });
  const form = el(
    "form",
    { class: "stack", role: "search" },
    el("div", {}, el("label", { for: "number" }, t("office.search.query")), query, el("p", { class: "muted", id: "search-hint" }, t("office.search.hint"))),
    el("div", { class: "row" }, el("label", { for: "search-by" }, t("office.search.by")), by, submit),
  );
  const state = { hits: [], more: false, limit: 0, selected: null };

  const show = () => results.replaceChildren(renderHits(state, open, () => found.focus()));
  async function open(number) {
    const revisions = await call(`/v1/office/certificates/${encodeURIComponent(number)}`);
    state.selected = number;
    show();
    found.replaceChildren(renderRevisions(call, reasons, number, revisions, found, (current) => {
      state.hits = state.hits.map((hit) => (hit.number === number ? { ...hit, status: current.status, statusReason: current.statusReason, anchored: current.anchored } : hit));
      show();
    }));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = query.value.trim();
    if (!text) return;
    busy(submit, async () => {
      const params = new URLSearchParams({ q: text });
      if (by.value !== "auto") params.set("by", by.value);
      found.replaceChildren();
      try {
        const response = await call(`/v1/office/certificates?${params}`, { raw: true });
        state.hits = await response.json();
        state.more = response.headers.get(MORE) === "true";
        state.limit = state.hits.length;
        state.selected = null;
        show();
        if (state.hits.length === 1) await open(state.hits[0].number);
      } catch (error) {
        results.replaceChildren(el("p", { class: "notice bad" }, explain(error)));
      }
    });
  });
  return el("section", { class: "card stack", "aria-labelledby": "search-title" }, el("h2", { id: "search-title" }, t("console.search.title")), form, results, found);
}

function renderHits(state, open, focusFound) {
  if (!state.hits.length) return el("p", { class: "notice", id: "not-found" }, t("office.search.none"));
  const matched = state.hits[0].matchedBy;
  return el(
    "div",
    { class: "stack" },
    el("p", { id: "found-count", dataset: { matchedBy: matched } }, t("office.search.found", { count: state.hits.length }), " · ", el("span", { class: "muted" }, t(`office.search.matched.${matched}`))),
    state.more ? el("p", { class: "notice", id: "more" }, t("office.search.more", { count: state.limit })) : null,
    el(
      "div",
      { class: "cards", id: "hits" },
      state.hits.map((hit) => {
        const card = el(
          "button",
          { type: "button", class: "card", dataset: { number: hit.number, status: hit.status }, "aria-current": hit.number === state.selected ? "true" : null, title: t("office.search.open", { number: hit.number }) },
          el("div", { class: "row" }, el("span", { class: "title" }, hit.number), statusBadge(hit), hit.anchored ? null : el("span", { class: "badge warn" }, t("status.pending"))),
          el("div", { class: "muted" }, tx(hit.title), " · ", t("office.search.issued", { date: formatDate(hit.issued) })),
          hit.readable
            ? el("div", { class: "holder" }, t("office.search.holder"), " ", el("span", { class: "holder-name" }, hit.holderName ?? "—"), " · ", el("span", { class: "identity" }, hit.identityNumber ?? "—"))
            : el("div", { class: "muted" }, t("office.search.erased")),
        );
        // Not `busy`: it would put back the label as plain text, flattening the card.
        card.addEventListener("click", () => open(hit.number).then(focusFound, (error) => toast(explain(error))));
        return card;
      }),
    ),
  );
}

function statusBadge(row) {
  return el("span", { class: `badge ${row.status === "valid" ? "ok" : "bad"}` }, t(`status.${row.status}`));
}

function reasonText(label) {
  const key = `reason.${label}`;
  return t(key) === key ? label : `${t(key)} (${label})`;
}

function renderRevisions(call, reasons, number, revisions, container, changed) {
  const current = revisions[0];
  const table = el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ["revision", "type", "issued", "status", "batch", "block", "transaction"].map((name) => el("th", { scope: "col" }, t(`console.col.${name}`))))),
    el(
      "tbody",
      {},
      revisions.map((row) =>
        el(
          "tr",
          {},
          el("td", {}, String(row.revision)),
          el("td", {}, tx(row.title)),
          el("td", {}, formatDate(row.issued)),
          el("td", { dataset: { status: row.status } }, statusBadge(row), row.statusReason ? ` ${t(`reason.${row.statusReason}`)}` : ""),
          el("td", {}, row.anchored ? `#${row.batch} · ${row.index}` : t("status.pending")),
          el("td", {}, row.block ?? "—"),
          el("td", { class: "muted" }, row.transaction ? `${row.transaction.slice(0, 12)}…` : "—"),
        ),
      ),
    ),
  );
  const allowed = ACTIONS[current.status] ?? [];
  const actions = allowed.map((action) => {
    const button = el("button", { type: "button", class: action === "revoke" ? "btn danger" : "btn secondary", id: `action-${action}` }, t(`console.action.${action}`));
    button.addEventListener("click", () =>
      busy(button, async () => {
        const reason = await askReason(action, number, reasons);
        if (!reason) return;
        const outcome = await call(`/v1/office/certificates/${encodeURIComponent(number)}/status`, { method: "POST", body: { action, reason } });
        toast(outcome.changed ? t("console.action.done") : t("console.action.unchanged"));
        container.replaceChildren(renderRevisions(call, reasons, number, outcome.revisions, container, changed));
        changed(outcome.revisions[0]);
      }),
    );
    return button;
  });
  let controls;
  if (!current.anchored) controls = el("p", { class: "muted" }, t("console.action.wait"));
  else if (!actions.length) controls = el("p", { class: "muted", id: "final" }, t("office.action.none"));
  else controls = el("div", { class: "row", id: "actions" }, actions);
  return el(
    "div",
    { class: "stack", id: "revisions", dataset: { number } },
    el("h3", {}, t("office.search.revisions", { number })),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("office.search.revisions", { number }) }, table),
    controls,
    el("p", { class: "muted" }, current.anchoredAt ? t("console.anchored_at", { time: formatTime(current.anchoredAt) }) : ""),
  );
}

/** A modal asking for the reason of `action`, offering only the reasons that fit it; the chosen
 * reason's label, or null when cancelled. */
function askReason(action, number, reasons) {
  return new Promise((resolve) => {
    const fitting = reasons.filter((item) => item.actions.includes(action));
    const select = el("select", { id: "reason", required: true }, el("option", { value: "" }, t("office.dialog.choose")), fitting.map((item) => el("option", { value: item.label }, reasonText(item.label))));
    const dialog = el(
      "dialog",
      { id: "status-dialog", "aria-labelledby": "status-dialog-title", dataset: { action } },
      el(
        "form",
        { method: "dialog", class: "stack" },
        el("h2", { id: "status-dialog-title" }, t(`office.dialog.${action}.title`, { number })),
        el("p", { class: action === "revoke" ? "notice bad" : "muted" }, t(`office.dialog.${action}.lead`)),
        el("label", { for: "reason" }, t("console.action.reason")),
        select,
        el(
          "div",
          { class: "row" },
          el("button", { class: action === "revoke" ? "btn danger" : "btn", value: "ok", id: "status-confirm" }, t(`console.action.${action}`)),
          el("button", { class: "btn secondary", value: "cancel", formnovalidate: true }, t("office.dialog.cancel")),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? select.value : null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    select.focus();
  });
}
