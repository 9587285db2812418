// The console's search card: find a certificate, revoke, suspend or reinstate it with a reason.

import { busy, el, explain, formatDate, formatTime, t, toast, tx } from "/static/common.js";

export function searchCard(call, reasons) {
  const number = el("input", { id: "number", type: "search", required: true, maxlength: "40", spellcheck: "false" });
  const submit = el("button", { class: "btn", type: "submit" }, t("console.search.submit"));
  const found = el("div", { id: "found", "aria-live": "polite" });
  const form = el("form", { class: "row", role: "search" }, el("div", { class: "grow" }, el("label", { for: "number" }, t("console.search.number")), number), submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!number.value.trim()) return;
    busy(submit, async () => {
      try {
        const revisions = await call(`/v1/office/certificates?number=${encodeURIComponent(number.value.trim())}`);
        found.replaceChildren(
          revisions.length
            ? renderRevisions(call, reasons, number.value.trim(), revisions, found)
            : el("p", { class: "notice", id: "not-found" }, t("console.search.none", { number: number.value.trim() })),
        );
      } catch (error) {
        found.replaceChildren(el("p", { class: "notice bad" }, explain(error)));
      }
    });
  });
  return el("section", { class: "card stack", "aria-labelledby": "search-title" }, el("h2", { id: "search-title" }, t("console.search.title")), form, found);
}

function renderRevisions(call, reasons, number, revisions, container) {
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
          el("td", { dataset: { status: row.status } }, el("span", { class: `badge ${row.status === "valid" ? "ok" : "bad"}` }, t(`status.${row.status}`)), row.statusReason ? ` ${row.statusReason}` : ""),
          el("td", {}, row.anchored ? `#${row.batch} · ${row.index}` : t("status.pending")),
          el("td", {}, row.block ?? "—"),
          el("td", { class: "muted" }, row.transaction ? `${row.transaction.slice(0, 12)}…` : "—"),
        ),
      ),
    ),
  );
  const reason = el("select", { id: "reason" }, reasons.map((item) => el("option", { value: item.label }, t(`reason.${item.label}`) === `reason.${item.label}` ? item.label : `${t(`reason.${item.label}`)} (${item.label})`)));
  const actions = ["revoke", "suspend", "reinstate"].map((action) => {
    const button = el("button", { type: "button", class: action === "revoke" ? "btn danger" : "btn secondary", id: `action-${action}` }, t(`console.action.${action}`));
    button.addEventListener("click", () =>
      busy(button, async () => {
        if (action === "revoke" && !confirm(t("console.action.revoke_confirm", { number }))) return;
        const changed = await call(`/v1/office/certificates/${encodeURIComponent(number)}/status`, { method: "POST", body: { action, reason: reason.value } });
        toast(changed.changed ? t("console.action.done") : t("console.action.unchanged"));
        container.replaceChildren(renderRevisions(call, reasons, number, changed.revisions, container));
      }),
    );
    return button;
  });
  return el(
    "div",
    { class: "stack" },
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("console.search.title") }, table),
    current.anchored ? el("div", { class: "stack" }, el("label", { for: "reason" }, t("console.action.reason")), reason, el("div", { class: "row" }, actions)) : el("p", { class: "muted" }, t("console.action.wait")),
    el("p", { class: "muted" }, current.anchoredAt ? t("console.anchored_at", { time: formatTime(current.anchoredAt) }) : ""),
  );
}
