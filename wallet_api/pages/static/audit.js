// The auditor's view: issuance, status changes and access over time, the anchored batches and log
// roots with their transactions, and the last reconciliation. Chain figures come from the chain
// index (the chain alone); access figures come from the operators' log, checked against the
// roots anchored on chain.

import { $, api, el, explain, formatTime, t, tx } from "/static/common.js";
import { staffSession } from "/static/staff.js";

const view = $("#view");
const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#0b5cad", "#d9822b", "#12703a", "#8e44ad", "#b3261e", "#2c7a7b", "#6b7280", "#a16207"];
const PAGE = 100;
const MAX_PAGES = 30;

staffSession("auditor", view, async (token, expired) => {
  const call = async (path) => {
    try {
      return await api(path, { token });
    } catch (error) {
      if (error.status === 401) expired();
      throw error;
    }
  };
  view.replaceChildren(el("h1", {}, t("audit.title")), el("p", { class: "muted", id: "audit-loading" }, t("audit.loading")));
  try {
    const [types, trust, batches, changes, anchors, activity, check, reconciliations] = await Promise.all([
      api("/v1/types"),
      call("/v1/audit/chain/trust"),
      pages(call, "/v1/audit/chain/batches", "batches"),
      pages(call, "/v1/audit/chain/status", "changes"),
      call("/v1/audit/chain/log-anchors"),
      call("/v1/audit/log/activity"),
      call("/v1/audit/log/check"),
      call("/v1/audit/reconciliations?limit=1"),
    ]);
    const typeNames = Object.fromEntries(types.map((item) => [item.typeId, tx({ zh: item.title["zh-CN"], en: item.title.en })]));
    const officeNames = Object.fromEntries(trust.offices.map((office) => [office.officeId, office.displayName]));
    view.replaceChildren(
      el("h1", {}, t("audit.title")),
      el("p", { class: "muted" }, t("audit.indexed_to", { block: anchors.indexedTo })),
      figures(batches, changes, activity),
      issuanceCard(batches, typeNames, officeNames),
      statusCard(changes),
      accessCard(activity, check),
      reconciliationCard(reconciliations[0]),
      batchesCard(batches, typeNames, officeNames),
      anchorsCard(anchors.anchors),
    );
  } catch (error) {
    view.replaceChildren(el("h1", {}, t("audit.title")), el("p", { class: "notice bad" }, explain(error)));
  }
});

/** Every row of a paged chain route (up to MAX_PAGES pages). */
async function pages(call, path, key) {
  const rows = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const answer = await call(`${path}?limit=${PAGE}&offset=${page * PAGE}`);
    rows.push(...answer[key]);
    if (answer[key].length < PAGE) break;
  }
  return rows;
}

const day = (time) => String(time).slice(0, 10);

function figures(batches, changes, activity) {
  const certificates = batches.reduce((sum, batch) => sum + batch.count, 0);
  const revoked = changes.filter((change) => change.action === "revoked").reduce((sum, change) => sum + change.certificates, 0);
  const accesses = activity.rows.reduce((sum, row) => sum + row.count, 0);
  const figure = (label, value, id) => el("div", { class: "card" }, el("div", { class: "muted" }, label), el("div", { class: "figure", id }, value.toLocaleString()));
  return el(
    "div",
    { class: "figures" },
    figure(t("audit.figure.batches"), batches.length, "figure-batches"),
    figure(t("audit.figure.certificates"), certificates, "figure-certificates"),
    figure(t("audit.figure.revoked"), revoked, "figure-revoked"),
    figure(t("audit.figure.access"), accesses, "figure-access"),
  );
}

// ------------------------------------------------------------------ charts

/** Sums `value(row)` per day and per `series(row)`: the days sorted, one array per series. */
function perDay(rows, series, value) {
  const days = [...new Set(rows.map((row) => day(row.time)))].sort();
  const names = [...new Set(rows.map(series))].sort();
  const data = Object.fromEntries(names.map((name) => [name, days.map(() => 0)]));
  for (const row of rows) data[series(row)][days.indexOf(day(row.time))] += value(row);
  return { days, series: names.map((name, i) => ({ name, color: PALETTE[i % PALETTE.length], values: data[name] })) };
}

/** A stacked bar chart (SVG) with a legend and, for screen readers, the numbers as a table. */
function stackedBars(title, { days, series }, id) {
  if (!days.length) return el("p", { class: "muted" }, t("audit.nothing"));
  const width = 640;
  const height = 220;
  const left = 64;
  const bottom = 34;
  const totals = days.map((_, i) => series.reduce((sum, item) => sum + item.values[i], 0));
  const top = Math.max(1, ...totals);
  const step = (width - left - 8) / days.length;
  const bar = Math.max(2, Math.min(36, step * 0.7));
  const y = (value) => height - bottom - ((height - bottom - 10) * value) / top;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  svg.id = id;
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  for (const fraction of [0, 0.5, 1]) {
    const value = Math.round(top * fraction);
    add("line", { x1: left, x2: width - 4, y1: y(value), y2: y(value), stroke: "#d5dce5" });
    add("text", { x: left - 8, y: y(value) + 6, "text-anchor": "end" }, value.toLocaleString());
  }
  days.forEach((label, i) => {
    const x = left + i * step + (step - bar) / 2;
    let base = 0;
    for (const item of series) {
      const value = item.values[i];
      if (!value) continue;
      add("rect", { x, y: y(base + value), width: bar, height: y(base) - y(base + value), fill: item.color, "data-series": item.name, "data-day": label }).append(
        Object.assign(document.createElementNS(SVG, "title"), { textContent: `${label} · ${item.name}: ${value}` }),
      );
      base += value;
    }
    if (days.length <= 14 || i % Math.ceil(days.length / 10) === 0) add("text", { x: x + bar / 2, y: height - 10, "text-anchor": "middle" }, label.slice(5));
  });
  const legend = el("div", { class: "legend" }, series.map((item) => el("span", { "data-swatch": item.color }, item.name)));
  const table = el(
    "details",
    {},
    el("summary", {}, t("audit.as_table")),
    el(
      "div",
      { class: "table-wrap", tabindex: "0", role: "region", "aria-label": title },
      el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("audit.day")), series.map((item) => el("th", { scope: "col", class: "num" }, item.name)))), el("tbody", {}, days.map((label, i) => el("tr", {}, el("td", {}, label), series.map((item) => el("td", { class: "num" }, String(item.values[i])))))))),
  );
  const figure = el("figure", { class: "stack" }, svg, legend, table);
  // Legend colours: set as CSS custom properties from the palette (no inline style attributes).
  queueMicrotask(() => figure.querySelectorAll("[data-swatch]").forEach((node) => node.style.setProperty("--swatch", node.dataset.swatch)));
  return figure;
}

function issuanceCard(batches, typeNames, officeNames) {
  const holder = el("div");
  const byType = el("button", { type: "button", "aria-selected": "true" }, t("audit.by_type"));
  const byOffice = el("button", { type: "button", "aria-selected": "false" }, t("audit.by_office"));
  const draw = (mode) => {
    byType.setAttribute("aria-selected", String(mode === "type"));
    byOffice.setAttribute("aria-selected", String(mode === "office"));
    const name = mode === "type" ? (row) => typeNames[row.typeId] || `#${row.typeId}` : (row) => officeNames[row.officeId] || `#${row.officeId}`;
    holder.replaceChildren(stackedBars(t("audit.issuance.chart"), perDay(batches, name, (row) => row.count), "chart-issuance"));
  };
  byType.addEventListener("click", () => draw("type"));
  byOffice.addEventListener("click", () => draw("office"));
  draw("type");
  return el("section", { class: "card", "aria-labelledby": "issuance-title" }, el("h2", { id: "issuance-title" }, t("audit.issuance.title")), el("div", { class: "tabs", role: "group", "aria-label": t("audit.group_by") }, byType, byOffice), holder);
}

function statusCard(changes) {
  const data = perDay(changes, (row) => t(`audit.action.${row.action}`), (row) => row.certificates);
  const reasons = {};
  for (const change of changes) {
    const key = `${t(`audit.action.${change.action}`)} · ${t(`reason.${change.reasonLabel}`)}`;
    reasons[key] = (reasons[key] || 0) + change.certificates;
  }
  return el(
    "section",
    { class: "card", "aria-labelledby": "status-title" },
    el("h2", { id: "status-title" }, t("audit.status.title")),
    stackedBars(t("audit.status.chart"), data, "chart-status"),
    Object.keys(reasons).length
      ? el("dl", { class: "fields" }, Object.entries(reasons).map(([name, count]) => [el("dt", {}, name), el("dd", {}, count.toLocaleString())]))
      : null,
  );
}

function accessCard(activity, check) {
  const rows = activity.rows.flatMap((row) => ({ time: row.day, event: t(`event.${row.event}`), count: row.count }));
  return el(
    "section",
    { class: "card", "aria-labelledby": "access-title" },
    el("h2", { id: "access-title" }, t("audit.access.title")),
    el("p", { class: `notice ${check.intact ? "ok" : "bad"}`, id: "log-check" }, check.intact ? t("audit.access.intact", { size: check.size, anchors: check.checkedAnchors }) : t("audit.access.broken", { problems: check.problems.join("; ") })),
    stackedBars(t("audit.access.chart"), perDay(rows, (row) => row.event, (row) => row.count), "chart-access"),
  );
}

function reconciliationCard(last) {
  const section = el("section", { class: "card", id: "reconciliation", "aria-labelledby": "reconciliation-title" }, el("h2", { id: "reconciliation-title" }, t("audit.reconciliation.title")));
  if (!last) {
    section.append(el("p", { class: "muted" }, t("audit.reconciliation.none")));
    return section;
  }
  section.append(
    el("p", { class: `notice ${last.differences ? "bad" : "ok"}` }, last.differences ? t("audit.reconciliation.found", { count: last.differences, repaired: last.repaired }) : t("audit.reconciliation.clean")),
    el(
      "dl",
      { class: "fields" },
      el("dt", {}, t("audit.reconciliation.when")), el("dd", {}, formatTime(last.finishedAt)),
      el("dt", {}, t("audit.reconciliation.checked")), el("dd", {}, t("audit.reconciliation.counts", { batches: last.batchesChecked, certificates: last.certificatesChecked, entries: last.logEntriesChecked })),
      Object.entries(last.counts).map(([kind, count]) => [el("dt", {}, t(`audit.kind.${kind}`)), el("dd", { dataset: { kind } }, String(count))]),
    ),
  );
  if (last.details.length) {
    section.append(
      el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("audit.reconciliation.title") }, el("table", {}, el("thead", {}, el("tr", {}, ["kind", "subject", "detail", "repaired"].map((name) => el("th", { scope: "col" }, t(`audit.reconciliation.${name}`))))), el("tbody", {}, last.details.map((row) => el("tr", {}, el("td", {}, row.kind), el("td", {}, row.subject), el("td", {}, row.detail), el("td", {}, row.repaired ? "✓" : "")))))),
    );
  }
  return section;
}

function batchesCard(batches, typeNames, officeNames) {
  const latest = batches.slice(-20).reverse();
  return el(
    "section",
    { class: "card", "aria-labelledby": "batches-title" },
    el("h2", { id: "batches-title" }, t("audit.batches.title", { shown: latest.length, total: batches.length })),
    el(
      "div",
      { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("audit.batches.title", { shown: latest.length, total: batches.length }) },
      el(
        "table",
        { id: "batches" },
        el("thead", {}, el("tr", {}, ["batch", "office", "type", "count", "block", "time", "transaction"].map((name) => el("th", { scope: "col" }, t(`audit.col.${name}`))))),
        el("tbody", {}, latest.map((batch) => el("tr", {}, el("td", {}, `#${batch.batchId}`), el("td", {}, officeNames[batch.officeId] || batch.officeId), el("td", {}, typeNames[batch.typeId] || batch.typeId), el("td", { class: "num" }, batch.count.toLocaleString()), el("td", { class: "num" }, String(batch.block)), el("td", {}, formatTime(batch.time)), el("td", { class: "muted", title: batch.transaction }, `${batch.transaction.slice(0, 14)}…`)))),
      ),
    ),
  );
}

function anchorsCard(anchors) {
  const latest = anchors.slice(-20).reverse();
  return el(
    "section",
    { class: "card", "aria-labelledby": "anchors-title" },
    el("h2", { id: "anchors-title" }, t("audit.anchors.title")),
    latest.length
      ? el(
          "div",
          { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("audit.anchors.title") },
          el(
            "table",
            { id: "log-anchors" },
            el("thead", {}, el("tr", {}, ["size", "root", "block", "time", "transaction"].map((name) => el("th", { scope: "col" }, t(`audit.col.${name}`))))),
            el("tbody", {}, latest.map((anchor) => el("tr", {}, el("td", { class: "num" }, String(anchor.size)), el("td", { class: "muted", title: anchor.root }, `${anchor.root.slice(0, 14)}…`), el("td", { class: "num" }, String(anchor.block)), el("td", {}, formatTime(anchor.time)), el("td", { class: "muted", title: anchor.transaction }, `${anchor.transaction.slice(0, 14)}…`)))),
          ),
        )
      : el("p", { class: "muted" }, t("audit.nothing")),
  );
}
