// The auditor's view: issuance, status changes and access over time, every anchored batch (a page
// at a time, with its root, its transaction and its certificates' statuses), the log roots, and
// the last reconciliation judged against now — stale (amber) when it is older than its interval,
// covers fewer batches than the chain has, or the chain cannot be reached — with "reconcile now".
// Chain figures come from the chain index (the chain alone); access figures from the operators'
// log, checked against the roots anchored on chain. Every call gives up after 5 seconds: a chain
// that is away is said at once, the server answering from its index with the chain's state.

import { $, ApiError, el, explain, formatTime, t, toast, tx } from "/static/common.js";
import { staffSession } from "/static/staff.js";
import { staffTrailCard } from "/static/audit_staff.js";

const view = $("#view");
const SVG = "http://www.w3.org/2000/svg";
const PALETTE = ["#0b5cad", "#d9822b", "#12703a", "#8e44ad", "#b3261e", "#2c7a7b", "#6b7280", "#a16207"];
const PAGE = 100;
const MAX_PAGES = 30;
const TABLE_PAGE = 20;
const CERTIFICATES_PAGE = 50;
const TIMEOUT_MS = 5000;
const POLL_MS = 1000;

staffSession("auditor", view, async (token, expired) => {
  const call = (path, options = {}) => request(path, { ...options, token, expired });
  view.replaceChildren(el("h1", {}, t("audit.title")), el("p", { class: "muted", id: "audit-loading" }, t("audit.loading")));
  // The standing first: it says whether the chain answers, before anything waits on it.
  let standing;
  try {
    standing = await call("/v1/audit/reconciliations/standing");
  } catch (error) {
    view.replaceChildren(el("h1", {}, t("audit.title")), el("p", { class: "notice bad", id: "audit-error" }, explain(error)));
    return;
  }
  const chainUp = standing.chain.state !== "unreachable";
  const settled = await Promise.allSettled([
    request("/v1/types", { token: null }),
    call("/v1/audit/chain/trust"),
    pages(call, "/v1/audit/chain/batches", "batches"),
    pages(call, "/v1/audit/chain/status", "changes"),
    call("/v1/audit/chain/log-anchors"),
    call("/v1/audit/log/activity"),
    chainUp ? call("/v1/audit/log/check") : Promise.resolve(null),
  ]);
  const [types, trust, batches, changes, anchors, activity, check] = settled.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : null));
  const failure = (index) => (settled[index].status === "rejected" ? settled[index].reason : null);
  const typeNames = Object.fromEntries((types || []).map((item) => [item.typeId, tx({ zh: item.title["zh-CN"], en: item.title.en })]));
  const officeNames = Object.fromEntries((trust?.offices || []).map((office) => [office.officeId, office.displayName]));
  const names = { type: (id) => typeNames[id] || `#${id}`, office: (id) => officeNames[id] || `#${id}` };
  view.replaceChildren(
    el("h1", {}, t("audit.title")),
    chainCard(standing.chain),
    el("p", { class: "muted" }, t("audit.indexed_to", { block: standing.chain.indexedTo })),
    batches && changes && activity ? figures(batches, changes, activity) : null,
    batches ? issuanceCard(batches, names) : failedCard("audit.issuance.title", failure(2)),
    changes ? statusCard(changes) : failedCard("audit.status.title", failure(3)),
    activity ? accessCard(activity, check, failure(6)) : failedCard("audit.access.title", failure(5)),
    reconciliationCard(standing, call),
    batchesCard(call, names),
    staffTrailCard(call),
    anchors ? anchorsCard(anchors.anchors) : failedCard("audit.anchors.title", failure(4)),
  );
});

/** A call to the API that gives up after `TIMEOUT_MS`: problem+json answers and time-outs become an
 * ApiError; a 401 on a signed-in call ends the session. */
async function request(path, { method = "GET", token, expired } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, { method, headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: controller.signal });
  } catch (error) {
    throw controller.signal.aborted ? new ApiError(0, "timeout", t("audit.chain.timeout")) : new ApiError(0, "network", t("error.network"));
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      /* not JSON */
    }
    if (response.status === 401 && expired) expired();
    throw new ApiError(response.status, problem.code, problem.detail || problem.title);
  }
  return response.json();
}

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

function failedCard(titleKey, error) {
  return el("section", { class: "card" }, el("h2", {}, t(titleKey)), el("p", { class: "notice bad" }, error ? explain(error) : t("audit.nothing")));
}

/** The chain's state, when it is not simply reachable: amber, with since when and up to which block. */
function chainCard(chain) {
  if (chain.state === "reachable") return el("div", { id: "chain-state", dataset: { state: chain.state } });
  const text =
    chain.state === "unreachable"
      ? t("audit.chain.unreachable", { since: formatTime(chain.unreachableSince || chain.checkedAt), block: chain.indexedTo })
      : t("audit.chain.syncing", { block: chain.indexedTo });
  return el("p", { class: "notice warn", id: "chain-state", role: "status", dataset: { state: chain.state } }, text);
}

const day = (time) => String(time).slice(0, 10); // chain times come in China Standard Time

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

/** A round step (1, 2 or 5 × 10ⁿ, at least 1) dividing `top` into about `ticks` parts. */
function niceStep(top, ticks = 4) {
  const raw = Math.max(top, 1) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw);
  return Math.max(1, step);
}

/** "2026-12-03" as the x axis writes it: 12/03 (the day in China Standard Time). */
const shortDay = (label) => `${label.slice(5, 7)}/${label.slice(8, 10)}`;

/** A stacked bar chart (SVG, drawn at the width it is given, text never scaled) with a legend and,
 * for screen readers, the numbers as a table. */
function stackedBars(title, { days, series }, id) {
  if (!days.length) return el("p", { class: "muted" }, t("audit.nothing"));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  svg.id = id;
  let drawnAt = 0;
  const observer = new ResizeObserver(() => {
    const width = Math.round(svg.getBoundingClientRect().width);
    if (width > 0 && width !== drawnAt) {
      drawnAt = width;
      drawChart(svg, width, days, series);
    }
  });
  observer.observe(svg);
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
  const figure = el("figure", { class: "stack chart-figure" }, svg, legend, table);
  // Legend colours: set as CSS custom properties from the palette (no inline style attributes).
  queueMicrotask(() => figure.querySelectorAll("[data-swatch]").forEach((node) => node.style.setProperty("--swatch", node.dataset.swatch)));
  return figure;
}

function drawChart(svg, width, days, series) {
  const height = 220;
  const top = 12;
  const bottom = 28;
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("height", String(height));
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  const totals = days.map((_, i) => series.reduce((sum, item) => sum + item.values[i], 0));
  const step = niceStep(Math.max(1, ...totals));
  const ceiling = Math.max(step, Math.ceil(Math.max(1, ...totals) / step) * step);
  const ticks = [];
  for (let value = 0; value <= ceiling; value += step) ticks.push(value);
  // The y labels first, measured, so that the plot starts where the widest one ends.
  const yLabels = ticks.map((value) => add("text", { class: "tick-y", "text-anchor": "end", "data-value": value, x: 0, y: 0 }, value.toLocaleString()));
  const left = Math.ceil(Math.max(...yLabels.map((label) => label.getBBox().width))) + 12;
  const right = 8;
  const plot = width - left - right;
  const y = (value) => height - bottom - ((height - bottom - top) * value) / ceiling;
  ticks.forEach((value, i) => {
    add("line", { x1: left, x2: width - right, y1: y(value), y2: y(value), stroke: "#d5dce5" });
    yLabels[i].setAttribute("x", String(left - 6));
    yLabels[i].setAttribute("y", String(y(value) + 4));
    svg.append(yLabels[i]); // above the grid line
  });
  const slot = plot / days.length;
  const bar = Math.max(2, Math.min(36, slot * 0.7));
  // As many day labels as fit side by side, evenly spread.
  const probe = add("text", { class: "tick-x", x: 0, y: 0 }, "12/30");
  const labelWidth = probe.getBBox().width;
  probe.remove();
  const fitting = Math.max(1, Math.floor(plot / (labelWidth + 10)));
  const stride = Math.ceil(days.length / fitting);
  days.forEach((label, i) => {
    const x = left + i * slot + (slot - bar) / 2;
    let base = 0;
    for (const item of series) {
      const value = item.values[i];
      if (!value) continue;
      add("rect", { x, y: y(base + value), width: bar, height: y(base) - y(base + value), fill: item.color, "data-series": item.name, "data-day": label }).append(
        Object.assign(document.createElementNS(SVG, "title"), { textContent: `${label} · ${item.name}: ${value}` }),
      );
      base += value;
    }
    if (i % stride === 0) {
      const centre = Math.min(width - labelWidth / 2 - 2, Math.max(labelWidth / 2 + 2, x + bar / 2));
      add("text", { class: "tick-x", x: centre, y: height - 9, "text-anchor": "middle", "data-day": label }, shortDay(label));
    }
  });
}

function issuanceCard(batches, names) {
  const holder = el("div");
  const byType = el("button", { type: "button", "aria-selected": "true" }, t("audit.by_type"));
  const byOffice = el("button", { type: "button", "aria-selected": "false" }, t("audit.by_office"));
  const draw = (mode) => {
    byType.setAttribute("aria-selected", String(mode === "type"));
    byOffice.setAttribute("aria-selected", String(mode === "office"));
    const name = mode === "type" ? (row) => names.type(row.typeId) : (row) => names.office(row.officeId);
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

function accessCard(activity, check, checkFailure) {
  const rows = activity.rows.flatMap((row) => ({ time: row.day, event: t(`event.${row.event}`), count: row.count }));
  let verdict;
  if (check) verdict = el("p", { class: `notice ${check.intact ? "ok" : "bad"}`, id: "log-check" }, check.intact ? t("audit.access.intact", { size: check.size, anchors: check.checkedAnchors }) : t("audit.access.broken", { problems: check.problems.join("; ") }));
  else verdict = el("p", { class: "notice warn", id: "log-check" }, checkFailure ? explain(checkFailure) : t("audit.stale.chain_unreachable"));
  return el(
    "section",
    { class: "card", "aria-labelledby": "access-title" },
    el("h2", { id: "access-title" }, t("audit.access.title")),
    verdict,
    stackedBars(t("audit.access.chart"), perDay(rows, (row) => row.event, (row) => row.count), "chart-access"),
  );
}

// ------------------------------------------------------------------ reconciliation

/** A duration in words: minutes below two hours, hours below two days, then days. */
function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return t("audit.duration.minutes", { count: minutes });
  const hours = Math.round(seconds / 3600);
  if (hours < 48) return t("audit.duration.hours", { count: hours });
  return t("audit.duration.days", { count: Math.round(seconds / 86400) });
}

function staleReason(reason, standing) {
  const values = {
    age: duration(standing.ageSeconds || 0),
    bound: duration(standing.maxAgeSeconds),
    total: standing.batchesOnChain,
    covered: standing.batchesCovered,
  };
  return el("li", { dataset: { reason: reason.code } }, t(`audit.stale.${reason.code}`, values));
}

/** The last reconciliation: what it found, when it ran, what it covered, whether it is stale — and
 * the button that runs one now. */
function reconciliationCard(first, call) {
  const section = el("section", { class: "card", id: "reconciliation", "aria-labelledby": "reconciliation-title" });
  const body = el("div", { id: "reconciliation-body" });
  const state = el("p", { class: "muted", id: "reconcile-state", role: "status", "aria-live": "polite" });
  const button = el("button", { class: "btn", type: "button", id: "reconcile-now" }, t("audit.reconcile.now"));
  section.append(el("h2", { id: "reconciliation-title" }, t("audit.reconciliation.title")), body, el("div", { class: "row" }, button), state);
  const show = (standing) => body.replaceChildren(...reconciliationBody(standing));
  show(first);

  let polling = false;
  const follow = async (run) => {
    if (polling) return;
    polling = true;
    button.disabled = true;
    try {
      while (run.state === "running") {
        state.textContent = run.here ? t("audit.reconcile.running", { phase: t(`audit.phase.${run.phase || "syncing"}`) }) : t("audit.reconcile.running_elsewhere");
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        run = await call("/v1/audit/reconciliations/run");
      }
      show(await call("/v1/audit/reconciliations/standing"));
      state.textContent = run.state === "failed" ? t("audit.reconcile.failed", { error: run.error }) : run.state === "finished" ? t("audit.reconcile.finished") : "";
      state.className = run.state === "failed" ? "notice bad" : "muted";
    } catch (error) {
      state.textContent = explain(error);
      state.className = "notice bad";
    } finally {
      polling = false;
      button.disabled = false;
    }
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    state.className = "muted";
    try {
      await follow(await call("/v1/audit/reconciliations/run", { method: "POST" }));
    } catch (error) {
      state.textContent = explain(error);
      state.className = "notice warn";
      button.disabled = false;
    }
  });
  // A run started before the page opened (here, or by another auditor) is followed too.
  call("/v1/audit/reconciliations/run")
    .then((run) => (run.state === "running" ? follow(run) : null))
    .catch(() => null);
  return section;
}

function reconciliationBody(standing) {
  const last = standing.latest;
  const interval = standing.intervalSeconds > 0
    ? t("audit.reconciliation.interval", { minutes: Math.round(standing.intervalSeconds / 60) })
    : t("audit.reconciliation.no_interval", { minutes: Math.round(standing.maxAgeSeconds / 60) });
  if (!last) return [el("p", { class: "muted", id: "reconciliation-verdict", dataset: { verdict: "none" } }, t("audit.reconciliation.none")), el("p", { class: "muted" }, interval)];
  const reasons = standing.reasons.length ? el("ul", { class: "stale-reasons" }, standing.reasons.map((reason) => staleReason(reason, standing))) : null;
  const parts = [];
  if (standing.verdict === "clean") {
    parts.push(
      standing.stale
        ? el("div", { class: "notice warn", id: "reconciliation-verdict", dataset: { verdict: "clean", stale: "true" } }, t("audit.reconciliation.clean_stale"), reasons)
        : el("p", { class: "notice ok", id: "reconciliation-verdict", dataset: { verdict: "clean", stale: "false" } }, t("audit.reconciliation.clean")),
    );
  } else {
    parts.push(el("p", { class: "notice bad", id: "reconciliation-verdict", dataset: { verdict: "differences", stale: String(standing.stale) } }, t("audit.reconciliation.found", { count: last.differences, repaired: last.repaired })));
    if (standing.stale) parts.push(el("div", { class: "notice warn", id: "reconciliation-stale" }, t("audit.reconciliation.found_stale"), reasons));
  }
  parts.push(
    el(
      "dl",
      { class: "fields" },
      el("dt", {}, t("audit.reconciliation.started")), el("dd", { id: "reconciliation-started" }, formatTime(last.startedAt)),
      el("dt", {}, t("audit.reconciliation.when")), el("dd", { id: "reconciliation-finished" }, formatTime(last.finishedAt)),
      el("dt", {}, t("audit.reconciliation.coverage")), el("dd", { id: "reconciliation-coverage" }, t("audit.reconciliation.coverage_value", { covered: standing.batchesCovered, total: standing.batchesOnChain, block: last.indexedTo })),
      el("dt", {}, t("audit.reconciliation.checked")), el("dd", {}, t("audit.reconciliation.counts", { batches: last.batchesChecked, certificates: last.certificatesChecked, entries: last.logEntriesChecked })),
      Object.entries(last.counts).map(([kind, count]) => [el("dt", {}, t(`audit.kind.${kind}`)), el("dd", { dataset: { kind } }, String(count))]),
    ),
    el("p", { class: "muted" }, interval),
  );
  const found = Object.entries(last.counts).filter(([, count]) => count > 0);
  if (found.length) {
    parts.push(
      el("h3", {}, t("audit.reconciliation.explain")),
      el("dl", { class: "kinds" }, found.map(([kind]) => [el("dt", {}, t(`audit.kind.${kind}`)), el("dd", { dataset: { explain: kind } }, t(`audit.explain.${kind}`))])),
    );
  }
  if (last.details.length) {
    parts.push(
      el(
        "div",
        { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("audit.reconciliation.title") },
        el(
          "table",
          { class: "stack-table", id: "differences" },
          el("thead", {}, el("tr", {}, ["kind", "subject", "detail", "repaired"].map((name) => el("th", { scope: "col" }, t(`audit.reconciliation.${name}`))))),
          el(
            "tbody",
            {},
            last.details.map((row) =>
              el(
                "tr",
                { dataset: { kind: row.kind } },
                el("td", { "data-label": t("audit.reconciliation.kind") }, t(`audit.kind.${row.kind}`)),
                el("td", { "data-label": t("audit.reconciliation.subject"), class: "hash" }, row.subject),
                el("td", { "data-label": t("audit.reconciliation.detail"), class: "wrap", lang: "en" }, row.detail),
                el("td", { "data-label": t("audit.reconciliation.repaired") }, row.repaired ? "✓" : "—"),
              ),
            ),
          ),
        ),
      ),
    );
  }
  return parts;
}

// ------------------------------------------------------------------ batches

/** Copies `text`: the clipboard API, else a selected hidden field and the copy command, else the
 * text is selected on the page for the auditor to copy. */
async function copyText(text, shown) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t("audit.copied"));
    return;
  } catch {
    /* no clipboard API here (an insecure origin, a refused permission): fall back */
  }
  const field = el("textarea", { class: "copy-field", readonly: true, "aria-hidden": "true", tabindex: "-1" });
  field.value = text;
  document.body.append(field);
  field.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  field.remove();
  if (copied) {
    toast(t("audit.copied"));
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(shown);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  toast(t("audit.copy_failed"));
}

/** A full hash: selectable text that wraps, and a button that copies it. */
function hashCell(value, what, label) {
  const text = el("span", { class: "hash-text" }, value);
  const button = el("button", { type: "button", class: "copy", "aria-label": t("audit.copy_label", { what }), dataset: { copy: value } }, t("audit.copy"));
  button.addEventListener("click", () => copyText(value, text));
  return el("td", { class: "hash", "data-label": label }, text, " ", button);
}

/** Every anchored batch, newest first, a page at a time from the server. */
function batchesCard(call, names) {
  const section = el("section", { class: "card", id: "batches-card", "aria-labelledby": "batches-title" });
  const title = el("h2", { id: "batches-title" }, t("audit.batches.all", { total: "…" }));
  const range = el("p", { class: "muted", id: "batches-range" });
  const holder = el("div", {});
  const newer = el("button", { class: "btn secondary", type: "button", id: "batches-newer", disabled: true }, t("audit.batches.newer"));
  const older = el("button", { class: "btn secondary", type: "button", id: "batches-older", disabled: true }, t("audit.batches.older"));
  const dialog = certificatesDialog(call);
  section.append(title, range, holder, el("div", { class: "row pager" }, newer, older), dialog.node);
  let offset = 0;
  const load = async (at) => {
    newer.disabled = true;
    older.disabled = true;
    try {
      const page = await call(`/v1/audit/chain/batches?order=desc&limit=${TABLE_PAGE}&offset=${at}`);
      offset = at;
      title.textContent = t("audit.batches.all", { total: page.total.toLocaleString() });
      range.textContent = page.batches.length ? t("audit.batches.range", { first: at + 1, last: at + page.batches.length }) : t("audit.nothing");
      holder.replaceChildren(batchTable(page.batches, names, dialog.open));
      newer.disabled = at === 0;
      older.disabled = at + page.batches.length >= page.total;
    } catch (error) {
      holder.replaceChildren(el("p", { class: "notice bad" }, explain(error)));
      newer.disabled = offset === 0;
      older.disabled = false;
    }
  };
  newer.addEventListener("click", () => load(Math.max(0, offset - TABLE_PAGE)));
  older.addEventListener("click", () => load(offset + TABLE_PAGE));
  load(0);
  return section;
}

function batchTable(batches, names, openCertificates) {
  const columns = ["batch", "office", "type", "count", "block", "time", "root", "transaction", "certificates"];
  const label = (name) => t(`audit.col.${name}`);
  return el(
    "table",
    { id: "batches", class: "stack-table" },
    el("thead", {}, el("tr", {}, columns.map((name) => el("th", { scope: "col" }, label(name))))),
    el(
      "tbody",
      {},
      batches.map((batch) => {
        const open = el("button", { type: "button", class: "btn secondary small", dataset: { batch: batch.batchId } }, t("audit.batches.certificates"));
        open.addEventListener("click", () => openCertificates(batch));
        return el(
          "tr",
          { dataset: { batch: batch.batchId } },
          el("td", { "data-label": label("batch") }, `#${batch.batchId}`),
          el("td", { "data-label": label("office"), class: "wrap" }, names.office(batch.officeId)),
          el("td", { "data-label": label("type"), class: "wrap" }, names.type(batch.typeId)),
          el("td", { "data-label": label("count"), class: "num" }, batch.count.toLocaleString()),
          el("td", { "data-label": label("block"), class: "num" }, String(batch.block)),
          el("td", { "data-label": label("time") }, formatTime(batch.time)),
          hashCell(batch.root, label("root"), label("root")),
          hashCell(batch.transaction, label("transaction"), label("transaction")),
          el("td", { "data-label": label("certificates") }, open),
        );
      }),
    ),
  );
}

/** The dialog listing a batch's certificates: number, leaf, status in the database and on chain. */
function certificatesDialog(call) {
  const heading = el("h2", { id: "certificates-title" });
  const summary = el("p", { class: "muted" });
  const holder = el("div", {});
  const more = el("button", { class: "btn secondary", type: "button", id: "certificates-more", hidden: true }, t("audit.batches.older"));
  const close = el("button", { class: "btn", type: "button", value: "close" }, t("audit.close"));
  const node = el("dialog", { id: "batch-certificates", "aria-labelledby": "certificates-title" }, heading, summary, holder, el("div", { class: "row" }, more, close));
  close.addEventListener("click", () => node.close());
  let shown = null;
  let offset = 0;
  const load = async (batch, at) => {
    more.hidden = true;
    try {
      const page = await call(`/v1/audit/chain/batches/${batch.batchId}/certificates?limit=${CERTIFICATES_PAGE}&offset=${at}`);
      if (shown !== batch) return;
      summary.textContent = t("audit.batches.certificates_count", { count: page.batch.count, rows: page.total });
      const rows = page.certificates.map(certificateRow);
      if (at === 0) holder.replaceChildren(certificateTable(rows));
      else holder.querySelector("tbody").append(...rows);
      offset = at + page.certificates.length;
      more.hidden = offset >= page.total;
    } catch (error) {
      holder.replaceChildren(el("p", { class: "notice bad" }, explain(error)));
    }
  };
  more.addEventListener("click", () => load(shown, offset));
  const open = (batch) => {
    shown = batch;
    heading.textContent = t("audit.batches.certificates_of", { batch: batch.batchId });
    summary.textContent = t("audit.loading");
    holder.replaceChildren();
    if (!node.open) node.showModal();
    load(batch, 0);
  };
  return { node, open };
}

const statusText = (status) => (status ? t(`status.${status}`) : t("audit.chain_status.none"));

function reasonText(label) {
  if (!label) return "—";
  const text = t(`reason.${label}`);
  return text === `reason.${label}` ? label : text;
}

function certificateTable(rows) {
  const columns = ["number", "leaf", "status_database", "status_chain", "reason"];
  return el(
    "table",
    { id: "certificates", class: "stack-table" },
    el("thead", {}, el("tr", {}, columns.map((name) => el("th", { scope: "col" }, t(`audit.col.${name}`))))),
    el("tbody", {}, rows),
  );
}

function certificateRow(row) {
  const label = (name) => t(`audit.col.${name}`);
  const differs = row.chainStatus !== null && row.status !== "superseded" && row.status !== row.chainStatus;
  return el(
    "tr",
    { dataset: { leaf: row.leafIndex ?? "", differs: String(differs) } },
    el("td", { "data-label": label("number"), class: "hash" }, row.revision > 1 ? `${row.number} (${row.revision})` : row.number),
    el("td", { "data-label": label("leaf"), class: "num" }, row.leafIndex === null ? "—" : String(row.leafIndex)),
    el("td", { "data-label": label("status_database") }, statusText(row.status)),
    el("td", { "data-label": label("status_chain"), class: differs ? "differs" : null }, statusText(row.chainStatus)),
    el("td", { "data-label": label("reason"), class: "wrap" }, reasonText(row.chainReasonLabel || row.reasonLabel)),
  );
}

function anchorsCard(anchors) {
  const latest = anchors.slice(-20).reverse();
  const label = (name) => t(`audit.col.${name}`);
  return el(
    "section",
    { class: "card", "aria-labelledby": "anchors-title" },
    el("h2", { id: "anchors-title" }, t("audit.anchors.title")),
    latest.length
      ? el(
          "table",
          { id: "log-anchors", class: "stack-table" },
          el("thead", {}, el("tr", {}, ["size", "root", "block", "time", "transaction"].map((name) => el("th", { scope: "col" }, label(name))))),
          el(
            "tbody",
            {},
            latest.map((anchor) =>
              el(
                "tr",
                {},
                el("td", { class: "num", "data-label": label("size") }, String(anchor.size)),
                hashCell(anchor.root, label("root"), label("root")),
                el("td", { class: "num", "data-label": label("block") }, String(anchor.block)),
                el("td", { "data-label": label("time") }, formatTime(anchor.time)),
                hashCell(anchor.transaction, label("transaction"), label("transaction")),
              ),
            ),
          ),
        )
      : el("p", { class: "muted" }, t("audit.nothing")),
  );
}
