// The scan stand (扫码墩), the unit's side: the clerk says which fields are needed, why and for how
// long; the page shows the request as a QR code for the citizen's wallet to scan, renews it when
// it expires, and draws the verdict by itself as soon as the citizen consents.
//
// The request is made with the unit's API key (POST /v1/presentation-requests). Its answer is
// sealed to a collection key that only this page holds (in memory): the page long-polls
// GET /v1/presentation-requests/{id}?wait=… with both keys, and the service redeems the
// citizen's grant for the unit then and there, answering with the verdict (verdict.js draws it).

import { ApiError, LANG, busy, el, explain, t, toast, tx } from "/static/common.js";
import { beijingTime, renderRefusal, renderUnitVerdict } from "/static/verdict.js";

const BASE = "/v1/presentation-requests";
const WAIT_SECONDS = 20;
const TERMS = [
  ["stand.term.hour", 3600],
  ["stand.term.day", 86400],
  ["stand.term.week", 7 * 86400],
  ["stand.term.month", 30 * 86400],
];
const DEFAULT_FIELDS = new Set(["certificate_no"]);

let session = 0; // each request's polling belongs to one session: a newer one ends the older
let aborter = null;

function endPolling() {
  session += 1;
  aborter?.abort();
  aborter = null;
}

/** Calls the API with the unit's key and, for polls, the request's collection key. */
async function call(path, { apiKey, collectKey, method = "GET", body, signal } = {}) {
  const headers = { "Accept-Language": LANG === "zh" ? "zh-CN" : "en", "X-API-Key": apiKey };
  if (collectKey) headers["X-Collect-Key"] = collectKey;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
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
  return response.json();
}

function termLabel(seconds) {
  const found = TERMS.find(([, value]) => value === seconds);
  return found ? t(found[0]) : t("stand.term.seconds", { seconds });
}

/**
 * Draws the stand into `view`: the form, then the QR code and the verdict.
 * `apiKey` is the unit's key; `back()` returns to the verifier; `signedOut()` when the key fails.
 */
export async function standView({ view, apiKey, back, signedOut }) {
  endPolling();
  const [unit, types] = await Promise.all([call("/v1/units/me", { apiKey }), call(`${BASE}/types`, { apiKey })]);

  const typeSelect = el(
    "select",
    { id: "stand-type" },
    types.map((type) => el("option", { value: type.key }, tx(type.title))),
  );
  const fieldBox = el("div", { class: "fieldpick", id: "stand-fields" });
  const purpose = el("input", { id: "stand-purpose", type: "text", maxlength: "200", required: true, placeholder: t("stand.purpose.example") });
  const term = el(
    "select",
    { id: "stand-term" },
    TERMS.map(([key, seconds]) => el("option", { value: String(seconds) }, t(key))),
  );
  const create = el("button", { class: "btn block", type: "submit", id: "stand-create" }, t("stand.create"));
  const drawFields = () => {
    const type = types.find((item) => item.key === typeSelect.value);
    const always = new Set(type.always);
    fieldBox.replaceChildren(
      el("p", { class: "hint", id: "stand-always" }, t("stand.always")),
      ...type.fields.map((field) =>
        el(
          "label",
          {},
          // Whose record it is (name, identity number) goes with every grant: ticked, fixed.
          el("input", { type: "checkbox", name: "field", value: field.name, checked: always.has(field.name) || DEFAULT_FIELDS.has(field.name), disabled: always.has(field.name) }),
          ` ${tx(field.label)}`,
          always.has(field.name) ? el("span", { class: "muted" }, t("stand.always_tag")) : null,
        ),
      ),
    );
  };
  typeSelect.addEventListener("change", drawFields);
  drawFields();

  const panel = el("div", { id: "stand-panel", class: "stack" });
  const result = el("div", { id: "stand-result", "aria-live": "polite" });
  const form = el(
    "form",
    { class: "card stack", id: "stand-form", novalidate: true },
    el("h2", {}, t("stand.form")),
    el("div", {}, el("label", { for: "stand-type" }, t("stand.type")), typeSelect),
    el("fieldset", {}, el("legend", {}, t("stand.fields")), fieldBox),
    el("div", {}, el("label", { for: "stand-purpose" }, t("stand.purpose")), purpose, el("div", { class: "hint" }, t("stand.purpose.hint"))),
    el("div", {}, el("label", { for: "stand-term" }, t("stand.term")), term),
    create,
  );
  const terms = () => ({
    type: typeSelect.value,
    fields: [...fieldBox.querySelectorAll("input:checked")].map((input) => input.value),
    purpose: purpose.value.trim(),
    grantSeconds: Number(term.value),
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const asked = terms();
    if (!asked.fields.length) return toast(t("stand.need_fields"));
    if (!asked.purpose) return toast(t("stand.need_purpose"));
    busy(create, () => ask(asked));
  });

  const backButton = el("button", { class: "btn secondary", type: "button", id: "stand-back" }, t("stand.back"));
  backButton.addEventListener("click", () => {
    endPolling();
    back();
  });

  async function ask(asked) {
    endPolling();
    const mine = session;
    let request;
    try {
      request = await call(BASE, { apiKey, method: "POST", body: asked });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return signedOut();
      throw error;
    }
    if (mine !== session) return;
    result.replaceChildren();
    drawRequest(request, asked);
    aborter = new AbortController();
    // Not awaited: the form (and its button) are free again while the stand waits.
    poll(request, asked, mine, aborter.signal).catch((error) => status(error instanceof ApiError ? explain(error) : String(error.message || error)));
  }

  function drawRequest(request, asked) {
    const svg = URL.createObjectURL(new Blob([request.qrSvg], { type: "image/svg+xml" }));
    const image = el("img", { id: "stand-qr", src: svg, alt: t("stand.qr_alt", { unit: unit.name }), width: "340", height: "340" });
    image.addEventListener("load", () => URL.revokeObjectURL(svg));
    const labels = request.presentationDefinition.fields.map((field) => tx(field.label));
    const stop = el("button", { class: "btn secondary", type: "button", id: "stand-stop" }, t("stand.stop"));
    stop.addEventListener("click", () => {
      endPolling();
      panel.replaceChildren();
    });
    panel.replaceChildren(
      el(
        "div",
        { class: "card stack", id: "stand-request", dataset: { request: request.id, state: request.state } },
        el("h2", {}, t("stand.scan_this")),
        el("div", { class: "qr" }, image, el("p", { class: "muted" }, t("stand.scan_hint"))),
        el(
          "dl",
          { class: "stand-summary" },
          el("dt", {}, t("stand.asker")),
          el("dd", {}, `${request.client.name}（${request.client.creditCode}）`),
          el("dt", {}, t("stand.fields")),
          el("dd", { id: "stand-asked-fields" }, labels.join(LANG === "zh" ? "、" : ", ")),
          el("dt", {}, t("stand.purpose")),
          el("dd", {}, request.purpose),
          el("dt", {}, t("stand.term")),
          el("dd", {}, termLabel(asked.grantSeconds)),
        ),
        el("p", { class: "notice", id: "stand-status", role: "status" }, t("stand.waiting", { time: beijingTime(request.expiresAt) })),
        el("input", { type: "text", readonly: true, value: request.link, id: "stand-link", "aria-label": t("stand.link") }),
        el("div", { class: "row" }, stop),
      ),
    );
  }

  function status(text, state) {
    const line = panel.querySelector("#stand-status");
    if (line) line.textContent = text;
    const card = panel.querySelector("#stand-request");
    if (card && state) card.dataset.state = state;
  }

  async function poll(request, asked, mine, signal) {
    let failures = 0;
    while (mine === session) {
      let answer;
      try {
        answer = await call(`${BASE}/${request.id}?wait=${WAIT_SECONDS}`, { apiKey, collectKey: request.collectKey, signal });
        failures = 0;
      } catch (error) {
        if (error.name === "AbortError" || mine !== session) return;
        if (error instanceof ApiError && error.status === 401) return signedOut();
        failures += 1;
        status(error instanceof ApiError ? explain(error) : String(error.message || error));
        // The network or the service hiccuped: try again, more slowly each time.
        await new Promise((resolve) => setTimeout(resolve, Math.min(10, failures * 2) * 1000));
        continue;
      }
      if (mine !== session) return;
      if (answer.result) return showResult(answer.result, asked);
      if (answer.request.state === "expired") {
        // Self-refreshing: a new request with the same terms, a new QR code.
        status(t("stand.renewing"), "expired");
        return ask(asked);
      }
      if (answer.request.state === "collected") return status(t("stand.collected"), "collected");
    }
  }

  function showResult(found, asked) {
    status(t("stand.answered"), "collected");
    // The code is spent: it goes, so that nobody scans it again.
    for (const spent of panel.querySelectorAll(".qr, #stand-link, #stand-stop")) spent.remove();
    const next = el("button", { class: "btn", type: "button", id: "stand-next" }, t("stand.next"));
    next.addEventListener("click", () => busy(next, () => ask(asked)));
    const drawn =
      found.outcome === "redeemed"
        ? renderUnitVerdict(found.redemption.verification, { grant: found.redemption.grant })
        : renderRefusal(found.problem);
    result.replaceChildren(drawn, el("div", { class: "row" }, next));
    result.scrollIntoView({ block: "start" });
  }

  view.replaceChildren(
    el("h1", {}, t("stand.title")),
    el("p", { class: "muted" }, t("stand.lead", { unit: unit.name, code: unit.creditCode })),
    el("div", { class: "row" }, backButton),
    el("div", { class: "stand-grid" }, form, panel),
    result,
  );
  const heading = view.querySelector("h1");
  heading.setAttribute("tabindex", "-1");
  heading.classList.add("focus-target");
  heading.focus({ preventScroll: true });
}
