// Shared by every page: messages, the API client, DOM building (text only: never innerHTML of
// data), the document and verdict views, toasts.

const MESSAGES = JSON.parse(document.getElementById("messages").textContent);
export const LANG = document.body.dataset.lang || "zh";

/** The message `key` in the page's language, with {name} placeholders filled. */
export function t(key, values = {}) {
  const text = MESSAGES[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

/** A value that may carry both languages ({zh, en}) as text in the page's language. */
export function tx(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return value[LANG] ?? value.zh ?? "";
  return String(value);
}

/** An element with attributes and children; strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

/** Calls the API; problem+json answers become an ApiError with the stable code. */
export async function api(path, { method = "GET", body, token, apiKey, form, raw } = {}) {
  // The service words its problems (title, detail) in the page's language; the code stays.
  const headers = { "Accept-Language": LANG === "zh" ? "zh-CN" : "en" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (apiKey) headers["X-API-Key"] = apiKey;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload });
  } catch (error) {
    throw new ApiError(0, "network", t("error.network"));
  }
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, problem.code, problem.detail || problem.title);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

let toastTimer;
/**
 * A short message under the header, read out by screen readers. It takes its own place in the
 * page (pushing the content down) rather than floating over it, so it covers no button; when the
 * page is scrolled past it, it is brought into view.
 */
export function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.classList.add("show");
  if (box.getBoundingClientRect().top < 0) box.scrollIntoView({ block: "nearest" });
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove("show"), 5000);
}

/** Runs `work` with `button` disabled, showing its error (if any) as a toast. */
export async function busy(button, work) {
  const label = button?.textContent;
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    return await work();
  } catch (error) {
    toast(error instanceof ApiError ? explain(error) : String(error.message || error));
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    }
  }
}

/** A refusal in plain words: the known codes have a sentence, the rest show the server's detail. */
export function explain(error) {
  const key = `code.${error.code}`;
  return key in MESSAGES ? t(key) : error.message;
}

const BEIJING = "Asia/Shanghai";
const LOCALE = () => (LANG === "zh" ? "zh-CN" : "en-GB");

/** A moment (ISO text or Date) in Beijing time, whatever the browser's zone: 2026年12月10日 01:06. */
export function formatTime(value) {
  if (!value) return "—";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "—";
  return date.toLocaleString(LOCALE(), { timeZone: BEIJING, year: "numeric", month: LANG === "zh" ? "long" : "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

/**
 * A calendar date (YYYY-MM-DD, as certificates carry them) as people write it: 2026年12月10日.
 * A date is a day, not a moment, so no zone moves it. `open` is the word for no date at all: a
 * validity without an end is 长期 (`formatDate(validUntil, { open: t("time.long_term") })`).
 */
export function formatDate(value, { open = "—" } = {}) {
  if (!value) return open;
  const date = new Date(`${String(value).slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return "—";
  return date.toLocaleDateString(LOCALE(), { timeZone: "UTC", year: "numeric", month: LANG === "zh" ? "long" : "short", day: "numeric" });
}

/** The view model of a certificate (wallet_api/_render.py) as a readable document. */
export function renderDocument(view, { heading = "h2" } = {}) {
  const root = el("article", { class: "doc" }, el(heading, {}, tx(view.title)));
  for (const section of view.sections) {
    const part = el("section", { "aria-label": tx(section.title) || tx(view.title), dataset: { field: section.field || "" } });
    if (section.title) part.append(el("h3", {}, tx(section.title)));
    if (section.kind === "fields") part.append(fieldList(section.rows));
    else part.append(...recordCards(section));
    root.append(part);
  }
  if (view.hidden) root.append(el("p", { class: "muted hidden-note" }, t("doc.hidden", { count: view.hidden })));
  return root;
}

/**
 * A table of the view model as a phone reads it: its totals and counts first, then one card per
 * row, the values that stay the same over many rows (the employer) shown once above their run.
 * Driven by the model alone, so any department's table renders the same way.
 */
function recordCards(section) {
  const columns = section.columns;
  const grouped = new Set(section.groupColumns || []);
  const shown = columns.map((column, i) => i).filter((i) => !grouped.has(columns[i].key));
  const [first, ...rest] = shown;
  const figures = [...(section.totalRows || []), ...(section.summary || [])];
  const nodes = [];
  if (figures.length) nodes.push(el("div", { class: "summary figures-list" }, fieldList(figures)));
  const groups = section.groups || [{ values: [], rows: section.rows.map((row, i) => i) }];
  const groupedColumns = columns.filter((column) => grouped.has(column.key));
  for (const group of groups) {
    if (group.values.length) {
      nodes.push(
        el(
          "div",
          { class: "record-group" },
          groupedColumns.map((column, i) => el("div", { dataset: { col: column.key } }, el("span", { class: "muted" }, `${tx(column.label)}${LANG === "zh" ? "：" : ": "}`), tx(group.values[i]))),
        ),
      );
    }
    nodes.push(
      el(
        "ol",
        { class: "record-cards", "aria-label": tx(section.title) },
        group.rows.map((index) => {
          const row = section.rows[index];
          return el(
            "li",
            { class: "record-card" },
            el("div", { class: "record-key", dataset: { col: columns[first].key } }, tx(row[first])),
            el(
              "dl",
              {},
              rest.map((i) => [
                el("dt", {}, tx(columns[i].label)),
                el("dd", { class: columns[i].amount ? "num" : null, dataset: { col: columns[i].key } }, tx(row[i])),
              ]),
            ),
          );
        }),
      ),
    );
  }
  return nodes;
}

function fieldList(rows) {
  return el("dl", { class: "fields" }, rows.map((row) => [el("dt", {}, tx(row.label)), el("dd", { class: row.amount ? "num" : null, dataset: { field: row.field } }, tx(row.value))]));
}

const MARKS = { passed: "✓", failed: "✕", unknown: "?", skipped: "–" };

/** A check's outcome in plain words for a clerk; the verifier's own reason stays beneath it. */
export function plainWords(check) {
  const details = check.details || {};
  let key = `plain.${check.name}.${check.status}`;
  if (check.name === "status" && check.status === "failed") key += `.${details.status === "suspended" ? "suspended" : "revoked"}`;
  if (check.name === "validity" && check.status === "failed") key += details.today < details.issued ? ".early" : ".expired";
  return key in MESSAGES ? t(key, details) : t(`check.status.${check.status}`);
}

/** A verification as a clerk reads it: the verdict in colour, then every check with its reason. */
export function renderVerdict(verification) {
  const verdict = verification.verdict;
  const decisive = verification.checks.find((check) => check.status === "failed") || verification.checks.find((check) => check.status === "unknown");
  const box = el(
    "div",
    { class: `verdict ${verdict}`, role: "status", "aria-live": "polite", dataset: { verdict } },
    el("span", { "aria-hidden": "true", class: "icon" }, verdict === "VALID" ? "✓" : verdict === "INVALID" ? "✕" : "?"),
    el("div", {}, el("div", {}, t(`verdict.${verdict}`)), el("div", { class: "why", id: "verdict-reason" }, decisive ? plainWords(decisive) : t("plain.all_passed"))),
  );
  const checks = el(
    "ol",
    { class: "checks", "aria-label": t("verdict.checks") },
    verification.checks.map((check) =>
      el(
        "li",
        { dataset: { check: check.name, status: check.status } },
        el("span", { class: `mark ${check.status}`, "aria-label": t(`check.status.${check.status}`) }, MARKS[check.status] || "?"),
        el(
          "div",
          {},
          el("strong", {}, t(`check.${check.name}`)),
          el("div", { class: "plain" }, plainWords(check)),
          el("div", { class: "muted", lang: "en" }, check.reason),
          Object.keys(check.details || {}).length
            ? el("details", {}, el("summary", {}, t("verdict.values")), el("pre", { class: "values" }, JSON.stringify(check.details, null, 2)))
            : null,
        ),
      ),
    ),
  );
  return el("div", {}, box, checks);
}

/** The log-out button in the header, for pages with a signed-in user. */
export function showLogout(onLogout) {
  const button = $("#logout");
  button.hidden = false;
  button.onclick = onLogout;
}

export function hideLogout() {
  $("#logout").hidden = true;
}

// The language switch keeps the part after '#': a wallet view, or a grant link's key.
document.querySelector("a.lang")?.addEventListener("click", (event) => {
  const target = new URL(event.currentTarget.href);
  target.hash = location.hash;
  event.currentTarget.href = target.href;
});
