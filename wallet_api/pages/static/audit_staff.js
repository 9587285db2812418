// The auditor's view of the staff audit trail: who among the bureau's staff issued enrolment or
// reset codes, registered, re-keyed or disabled units, changed certificates' status or issued
// files — newest first, in Beijing time, filtered by action and by username, page by page.

import { busy, el, explain, LANG, t } from "/static/common.js";
import { beijingTime } from "/static/console_counter.js";

const PAGE = 50;
export const STAFF_ACTIONS = [
  "enrolment_code.issued",
  "citizen.reset",
  "unit.registered",
  "unit.key_rotated",
  "unit.disabled",
  "certificate.status_changed",
  "issuance.file_issued",
];

/** The trail's section for the audit page. `call(path)` reads the API as the auditor. */
export function staffTrailCard(call) {
  const action = el(
    "select",
    { id: "trail-action" },
    el("option", { value: "" }, t("trail.all")),
    STAFF_ACTIONS.map((name) => el("option", { value: name }, t(`trail.action.${name}`))),
  );
  const username = el("input", { id: "trail-username", type: "search", maxlength: "64", autocomplete: "off", spellcheck: "false" });
  const submit = el("button", { class: "btn secondary", type: "submit", id: "trail-filter" }, t("trail.filter"));
  const body = el("tbody", { id: "trail-rows" });
  const more = el("button", { class: "btn secondary", type: "button", id: "trail-more", hidden: true }, t("trail.more"));
  const status = el("p", { class: "muted", "aria-live": "polite", id: "trail-status" });
  let next = null;

  const load = async (fresh) => {
    if (fresh) next = null;
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (action.value) query.set("action", action.value);
    if (username.value.trim()) query.set("username", username.value.trim());
    if (next) query.set("before", next);
    try {
      const page = await call(`/v1/audit/staff-actions?${query}`);
      if (fresh) body.replaceChildren();
      body.append(...page.actions.map(row));
      next = page.next;
      more.hidden = !next;
      status.textContent = body.children.length ? t("trail.shown", { count: body.children.length }) : t("trail.none");
    } catch (error) {
      status.textContent = explain(error);
    }
  };
  const form = el(
    "form",
    { class: "row", role: "search", id: "trail-form" },
    el("div", { class: "grow" }, el("label", { for: "trail-action" }, t("trail.by_action")), action),
    el("div", { class: "grow" }, el("label", { for: "trail-username" }, t("trail.by_username")), username),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, () => load(true));
  });
  more.addEventListener("click", () => busy(more, () => load(false)));

  const table = el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ["at", "username", "action", "subject", "detail"].map((column) => el("th", { scope: "col" }, t(`trail.col.${column}`))))),
    body,
  );
  load(true);
  return el(
    "section",
    { class: "card stack", id: "staff-trail", "aria-labelledby": "trail-title" },
    el("h2", { id: "trail-title" }, t("trail.title")),
    el("p", { class: "muted" }, t("trail.lead")),
    form,
    status,
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("trail.title") }, table),
    more,
  );
}

function row(entry) {
  return el(
    "tr",
    { dataset: { action: entry.action, id: entry.id } },
    el("td", {}, beijingTime(entry.at)),
    el("td", {}, entry.username),
    el("td", {}, t(`trail.action.${entry.action}`)),
    el("td", { class: "hash" }, entry.subject ?? "—"),
    el("td", { class: "wrap" }, detail(entry.detail)),
  );
}

/** The detail's values in words: times in Beijing time, the rest as they are. */
function detail(values) {
  const parts = Object.entries(values).map(([name, value]) => {
    const label = t(`trail.detail.${name}`);
    const shown = name.endsWith("At") && typeof value === "string" ? beijingTime(value) : Array.isArray(value) ? value.join(", ") : String(value);
    return `${label === `trail.detail.${name}` ? name : label}: ${shown}`;
  });
  return parts.length ? parts.join(LANG === "zh" ? "；" : "; ") : "—";
}
