// The unit's own history of verifications, as cards (newest first), each with its receipt PDF.

import { api, busy, el, t, tx } from "/static/common.js";
import { beijingTime } from "/static/verdict.js";

const PAGE = 10;

function receiptButton(entry, apiKey) {
  const button = el("button", { class: "btn secondary", type: "button", dataset: { receipt: entry.id } }, t("uv.history.receipt"));
  button.addEventListener("click", () =>
    busy(button, async () => {
      const lang = document.body.dataset.lang === "en" ? "en" : "zh";
      const response = await api(`/v1/units/me/verifications/${entry.id}/receipt?lang=${lang}`, { apiKey: apiKey(), raw: true });
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: `receipt-${entry.logSeq}.pdf`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }),
  );
  return button;
}

function card(entry, apiKey) {
  const fields = entry.fields.map((field) => tx(field.label)).join(document.body.dataset.lang === "en" ? ", " : "、");
  return el(
    "article",
    { class: "card stack", dataset: { verification: entry.id, outcome: entry.verdict } },
    el("div", { class: "title" }, t(`verdict.${entry.verdict}`), " · ", tx(entry.typeTitle)),
    el(
      "dl",
      { class: "fields" },
      el("dt", {}, t("uv.history.time")), el("dd", {}, beijingTime(entry.at)),
      el("dt", {}, t("uv.number")), el("dd", {}, entry.certificateNumber || t("uv.not_disclosed")),
      el("dt", {}, t("uv.history.office")), el("dd", {}, entry.officeName || t("verify.office_unknown")),
      el("dt", {}, t("uv.history.fields")), el("dd", {}, fields || "—"),
      el("dt", {}, t("uv.history.seq")), el("dd", {}, String(entry.logSeq)),
    ),
    el("div", { class: "row" }, receiptButton(entry, apiKey)),
  );
}

/** The history section; `refresh()` on it draws the newest page again after a new verification. */
export function historySection(apiKey) {
  const list = el("div", { class: "cards", id: "history-list" });
  const more = el("button", { class: "btn secondary", type: "button", id: "history-more", hidden: true }, t("uv.history.more"));
  const empty = el("p", { class: "muted", id: "history-empty", hidden: true }, t("uv.history.empty"));
  let before = null;

  async function load(reset) {
    if (reset) before = null;
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (before !== null) query.set("before", String(before));
    const entries = await api(`/v1/units/me/verifications?${query}`, { apiKey: apiKey() });
    const cards = entries.map((entry) => card(entry, apiKey));
    if (reset) list.replaceChildren(...cards);
    else list.append(...cards);
    if (entries.length) before = entries[entries.length - 1].logSeq;
    more.hidden = entries.length < PAGE;
    empty.hidden = list.children.length > 0;
  }

  more.addEventListener("click", () => busy(more, () => load(false)));
  const section = el(
    "section",
    { class: "stack", id: "history", "aria-labelledby": "history-title" },
    el("h2", { id: "history-title" }, t("uv.history.title")),
    el("p", { class: "muted" }, t("uv.history.lead")),
    empty,
    list,
    more,
  );
  section.refresh = () => busy(null, () => load(true));
  section.refresh();
  return section;
}
