// The verdict as a unit's clerk reads it, document first: the big banner, who issued it, whose it
// is, what was disclosed laid out as the certificate, and only then the checks, folded away.
//
// Stable interface (the verify page and the scan stand draw with it):
//
//   renderUnitVerdict(verification, { grant }) → HTMLElement
//     verification: a `VerificationOut` (POST /verify/redeem, POST /v1/redemptions with
//       view: true); its `view` may carry the unit's extras built by wallet_api/_unit_history.py:
//       `holder` {name, id (masked)}, `undisclosed` (fields of the type not disclosed),
//       `number`, `issued`, `validUntil` (null: 长期).
//     grant: optional {purpose, usesLeft, expiresAt}: the consent's terms, shown beneath.
//   renderRefusal({ code, detail }) → HTMLElement: a grant refused before any verdict.
//   beijingTime(value) → "2026年12月10日 01:06" (Beijing time, in the page's language).

import { el, explain, LANG, plainWords, renderDocument, renderVerdict, t, ApiError } from "/static/common.js";

const ICONS = { VALID: "✓", INVALID: "✕", INDETERMINATE: "?" };

/** A moment in Beijing time, whatever the device's own time zone. */
export function beijingTime(value) {
  if (!value) return "—";
  return new Date(value).toLocaleString(LANG === "zh" ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: LANG === "zh" ? "long" : "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
}

/** A calendar date (YYYY-MM-DD) as people write it; no date means no end: 长期. */
export function calendarDate(value, { open = false } = {}) {
  if (!value) return open ? t("uv.open_ended") : "—";
  const [year, month, day] = value.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day)).toLocaleDateString(LANG === "zh" ? "zh-CN" : "en-GB", {
    timeZone: "UTC",
    year: "numeric",
    month: LANG === "zh" ? "long" : "short",
    day: "numeric",
  });
}

function decisiveCheck(verification) {
  return verification.checks.find((check) => check.status === "failed") || verification.checks.find((check) => check.status === "unknown") || null;
}

function banner(verification) {
  const verdict = verification.verdict;
  const decisive = decisiveCheck(verification);
  return el(
    "div",
    { class: `verdict ${verdict}`, role: "status", id: "verdict-banner", dataset: { verdict } },
    el("span", { "aria-hidden": "true", class: "icon" }, ICONS[verdict] || "?"),
    el("div", {}, el("div", { class: "verdict-word" }, t(`verdict.${verdict}`)), el("div", { class: "why", id: "verdict-reason" }, decisive ? plainWords(decisive) : t("plain.all_passed"))),
  );
}

function pairs(rows) {
  return el(
    "dl",
    { class: "fields" },
    rows.filter(Boolean).map(([label, value, id]) => [el("dt", {}, label), el("dd", id ? { id } : {}, value)]),
  );
}

/** Who issued it and whose it is: the office's registered name, the holder's name and masked id. */
function identity(verification) {
  const view = verification.view || {};
  const holder = view.holder || {};
  const notShown = t("uv.not_disclosed");
  return el(
    "div",
    { class: "card", id: "verdict-identity" },
    pairs([
      [t("verify.office"), verification.office || t("verify.office_unknown"), "office"],
      [t("uv.holder_name"), holder.name || notShown, "holder-name"],
      [t("uv.holder_id"), holder.id || notShown, "holder-id"],
      view.number ? [t("uv.number"), view.number, "certificate-number"] : null,
      view.issued ? [t("uv.issued"), calendarDate(view.issued), "issued-on"] : null,
      "validUntil" in view ? [t("uv.valid_until"), calendarDate(view.validUntil, { open: true }), "valid-until"] : null,
    ]),
  );
}

/** The disclosed data laid out as the certificate, and how much the holder kept back. */
function disclosed(verification) {
  const view = verification.view;
  const trusted = verification.verdict === "VALID";
  const box = el("div", { class: "card", id: "disclosed" }, el("h2", {}, t("verify.disclosed")));
  if (!trusted) box.append(el("p", { class: "notice bad" }, t("uv.untrusted", { verdict: t(`verdict.${verification.verdict}`) })));
  if (view) {
    // The page's own note on undisclosed fields speaks to the holder; the unit's is below.
    box.append(renderDocument({ ...view, hidden: 0 }, { heading: "h3" }));
    const undisclosed = Number(view.undisclosed || 0);
    box.append(el("p", { class: "muted hidden-note", id: "undisclosed" }, undisclosed ? t("uv.undisclosed", { count: undisclosed }) : t("uv.all_disclosed")));
  } else {
    box.append(el("pre", { class: "values" }, JSON.stringify(verification.disclosed, null, 2)));
  }
  return box;
}

/** The checks in the order they ran, folded away: a clerk opens them when the banner is not enough. */
function foldedChecks(verification) {
  const total = verification.checks.length;
  const passed = verification.checks.filter((check) => check.status === "passed").length;
  const list = renderVerdict(verification).querySelector("ol.checks");
  return el(
    "details",
    { class: "card", id: "verdict-checks" },
    el("summary", {}, t("uv.checks", { passed, total })),
    list,
  );
}

function terms(grant) {
  if (!grant) return null;
  return el(
    "div",
    { class: "card", id: "grant-terms" },
    el("h2", {}, t("uv.grant")),
    pairs([
      [t("verify.purpose"), grant.purpose],
      [t("verify.uses_left"), String(grant.usesLeft)],
      [t("verify.expires"), beijingTime(grant.expiresAt)],
    ]),
  );
}

/** A verification drawn for the unit that asked for it: banner, issuer, holder, document, checks. */
export function renderUnitVerdict(verification, { grant = null } = {}) {
  return el(
    "section",
    { class: "stack unit-verdict", id: "verdict", "aria-label": t("uv.label"), dataset: { verdict: verification.verdict } },
    banner(verification),
    identity(verification),
    disclosed(verification),
    terms(grant),
    foldedChecks(verification),
  );
}

/** A grant refused before anything was verified (used, revoked, expired, another unit's). */
export function renderRefusal({ code, detail, status = 0 }) {
  const error = new ApiError(status, code, detail);
  return el(
    "section",
    { class: "stack unit-verdict", id: "verdict", dataset: { verdict: "REFUSED", code: code || "" } },
    el(
      "div",
      { class: "verdict INVALID", role: "alert", dataset: { verdict: "REFUSED", code: code || "" } },
      el("span", { class: "icon", "aria-hidden": "true" }, "✕"),
      el("div", {}, el("div", { class: "verdict-word" }, t("verify.refused")), el("div", { class: "why", id: "refusal" }, explain(error))),
    ),
    el("p", { class: "muted" }, t("verify.refused_hint")),
  );
}
