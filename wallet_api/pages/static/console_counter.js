// The console's counter jobs: an enrolment code after checking a citizen's ID card, a reset code for
// a lost phone or a forgotten password, and the receiving units (register, list, new key, disable).
// Codes and keys are shown once, in a sheet that can be printed and leaves the page when closed.

import { busy, el, explain, LANG, t, toast } from "/static/common.js";

const UNIT_PAGE = 20;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// GB 32100: the digits and capitals without I, O, Z, S, V; weights 3^i mod 31 (ledger/_identifiers.py).
const CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

/** A moment as the counter reads it, in Beijing time (UTC+8 all year): 2026年12月10日 01:06. */
export function beijingTime(value) {
  const moment = new Date(new Date(value).getTime() + 8 * 3600 * 1000);
  const [year, month, day] = [moment.getUTCFullYear(), moment.getUTCMonth() + 1, moment.getUTCDate()];
  const clock = `${String(moment.getUTCHours()).padStart(2, "0")}:${String(moment.getUTCMinutes()).padStart(2, "0")}`;
  return LANG === "zh" ? `${year}年${month}月${day}日 ${clock}` : `${day} ${MONTHS[month - 1]} ${year} ${clock}`;
}

/** Why `value` is not a GB 32100 unified social credit code, as a message key and its values; null when it is one. */
export function creditCodeProblem(value) {
  if (value.length > 18) return { key: "counter.credit.length", values: { count: value.length } };
  // The characters first, so that a wrong one is named while the code is still being typed.
  for (let i = 0; i < value.length; i += 1) {
    const character = value[i];
    if (!CODE_ALPHABET.includes(character)) return { key: "counter.credit.character", values: { position: i + 1, character } };
    if (i >= 2 && i < 8 && !/[0-9]/.test(character)) return { key: "counter.credit.region", values: { position: i + 1, character } };
  }
  if (value.length < 18) return { key: "counter.credit.length", values: { count: value.length } };
  const total = CODE_WEIGHTS.reduce((sum, weight, i) => sum + CODE_ALPHABET.indexOf(value[i]) * weight, 0);
  const expected = CODE_ALPHABET[(31 - (total % 31)) % 31];
  if (value[17] !== expected) return { key: "counter.credit.check", values: { expected, actual: value[17] } };
  return null;
}

/** Why `value` is not a GB 11643 identity number, as a message key and its values; null when it is one. */
export function identityProblem(value) {
  if (!/^[1-9][0-9]{16}[0-9X]$/.test(value)) return { key: "counter.identity.shape", values: {} };
  const [year, month, day] = [Number(value.slice(6, 10)), Number(value.slice(10, 12)), Number(value.slice(12, 14))];
  const born = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || born.getUTCFullYear() !== year || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day) {
    return { key: "counter.identity.birth", values: {} };
  }
  const total = ID_WEIGHTS.reduce((sum, weight, i) => sum + Number(value[i]) * weight, 0);
  const expected = ID_CHECK[total % 11];
  if (value[17] !== expected) return { key: "counter.identity.check", values: { expected, actual: value[17] } };
  return null;
}

/** The counter's cards, in one section. `call(path, options)` calls the API as the operator. */
export function counterCard(call) {
  return el(
    "section",
    { "aria-labelledby": "counter-title", id: "counter" },
    el("h2", { id: "counter-title" }, t("counter.title")),
    codeForm(call, "enrol"),
    codeForm(call, "reset"),
    unitsCard(call),
  );
}

/** Issuing a one-time code (`kind` enrol) or a reset code (`kind` reset) after the ID card was checked. */
function codeForm(call, kind) {
  const number = el("input", { id: `${kind}-identity`, type: "text", required: true, maxlength: "18", autocomplete: "off", spellcheck: "false", inputmode: "text", "aria-describedby": `${kind}-identity-problem` });
  const problem = el("p", { class: "hint", id: `${kind}-identity-problem`, "aria-live": "polite" });
  const checked = el("input", { id: `${kind}-checked`, type: "checkbox", required: true });
  const submit = el("button", { class: kind === "reset" ? "btn danger" : "btn", type: "submit", id: `${kind}-submit` }, t(`counter.${kind}.submit`));
  const check = () => {
    const value = number.value.trim().toUpperCase();
    const found = value.length === 18 ? identityProblem(value) : null;
    problem.textContent = found ? t(found.key, found.values) : "";
    return { value, found };
  };
  number.addEventListener("input", check);
  const form = el(
    "form",
    { class: "card stack", novalidate: true, id: `${kind}-form`, "aria-labelledby": `${kind}-title` },
    el("h3", { id: `${kind}-title` }, t(`counter.${kind}.title`)),
    el("p", { class: "muted" }, t(`counter.${kind}.lead`)),
    el("div", {}, el("label", { for: `${kind}-identity` }, t("counter.identity")), number, problem),
    el("label", { class: "row", for: `${kind}-checked` }, checked, t("counter.checked")),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { value, found } = check();
    if (!value || found || value.length !== 18) {
      if (!found) problem.textContent = t("counter.identity.shape");
      number.focus();
      return;
    }
    if (!checked.checked) {
      toast(t("counter.checked.required"));
      checked.focus();
      return;
    }
    if (kind === "reset" && !confirm(t("counter.reset.confirm"))) return;
    busy(submit, async () => {
      try {
        const answer = await call(kind === "reset" ? "/v1/reset-codes" : "/v1/enrolment-codes", { method: "POST", body: { identityNumber: value } });
        number.value = "";
        checked.checked = false;
        showOnce({
          title: t(`counter.${kind}.sheet`),
          secret: answer.code,
          lines: [t("counter.sheet.expires", { time: beijingTime(answer.expiresAt) }), t(`counter.${kind}.tell`)],
          opener: submit,
        });
      } catch (error) {
        problem.textContent = explain(error);
      }
    });
  });
  return form;
}

/** A code or key shown once, large, printable; closing removes it from the page. */
function showOnce({ title, secret, lines, opener }) {
  document.getElementById("code-sheet")?.remove();
  const print = el("button", { class: "btn secondary", type: "button", id: "sheet-print" }, t("counter.sheet.print"));
  const close = el("button", { class: "btn", type: "button", id: "sheet-close" }, t("counter.sheet.close"));
  const sheet = el(
    "div",
    { class: "code-sheet", id: "code-sheet", role: "dialog", "aria-modal": "true", "aria-labelledby": "sheet-title" },
    el(
      "div",
      { class: "code-sheet-box stack" },
      el("h2", { id: "sheet-title" }, title),
      el("p", { class: "code-sheet-secret", id: "sheet-secret", translate: "no" }, secret),
      lines.map((line) => el("p", {}, line)),
      el("p", { class: "muted no-print" }, t("counter.sheet.once")),
      el("div", { class: "row no-print" }, print, close),
    ),
  );
  const shut = () => {
    sheet.remove();
    document.body.classList.remove("sheet-open");
    document.removeEventListener("keydown", onKey);
    opener?.focus();
  };
  const onKey = (event) => {
    if (event.key === "Escape") shut();
  };
  print.addEventListener("click", () => window.print());
  close.addEventListener("click", shut);
  document.addEventListener("keydown", onKey);
  document.body.append(sheet);
  document.body.classList.add("sheet-open");
  close.focus();
}

/** Registering a unit, and the list of units with a new key or disabling for each. */
function unitsCard(call) {
  const name = el("input", { id: "unit-name", type: "text", required: true, minlength: "2", maxlength: "100" });
  const code = el("input", { id: "unit-code", type: "text", required: true, maxlength: "18", autocomplete: "off", spellcheck: "false", "aria-describedby": "unit-code-problem" });
  const problem = el("p", { class: "hint", id: "unit-code-problem", "aria-live": "polite" });
  const submit = el("button", { class: "btn", type: "submit", id: "unit-submit" }, t("counter.unit.submit"));
  const body = el("tbody", { id: "unit-rows" });
  const more = el("button", { class: "btn secondary", type: "button", id: "unit-more", hidden: true }, t("counter.unit.more"));
  let last = null;

  const check = () => {
    code.value = code.value.toUpperCase().replace(/\s/g, "");
    const found = code.value ? creditCodeProblem(code.value) : null;
    // While typing, a short code is not yet wrong: only a wrong character, or a full code, is judged.
    const early = found && found.key === "counter.credit.length" && code.value.length < 18;
    problem.textContent = found && !early ? t(found.key, found.values) : "";
    code.setAttribute("aria-invalid", found && !early ? "true" : "false");
    return found;
  };
  code.addEventListener("input", check);

  const row = (unit) => {
    const rotate = el("button", { class: "btn secondary", type: "button", dataset: { action: "rotate" } }, t("counter.unit.rotate"));
    const disable = el("button", { class: "btn danger", type: "button", dataset: { action: "disable" } }, t("counter.unit.disable"));
    const line = el(
      "tr",
      { dataset: { unit: unit.id } },
      el("td", { class: "wrap" }, unit.name),
      el("td", { class: "hash" }, unit.creditCode),
      el("td", {}, beijingTime(unit.createdAt)),
      el("td", {}, el("span", { class: `badge ${unit.active ? "ok" : "bad"}` }, t(unit.active ? "counter.unit.active" : "counter.unit.disabled"))),
      el("td", {}, unit.active ? el("div", { class: "row" }, rotate, disable) : "—"),
    );
    rotate.addEventListener("click", () =>
      busy(rotate, async () => {
        if (!confirm(t("counter.unit.rotate_confirm", { name: unit.name }))) return;
        const answer = await call(`/v1/units/${unit.id}/key`, { method: "POST" });
        showOnce({ title: t("counter.unit.key_sheet", { name: unit.name }), secret: answer.apiKey, lines: [t("counter.unit.key_tell")], opener: rotate });
      }),
    );
    disable.addEventListener("click", () =>
      busy(disable, async () => {
        if (!confirm(t("counter.unit.disable_confirm", { name: unit.name }))) return;
        const answer = await call(`/v1/units/${unit.id}`, { method: "DELETE" });
        line.replaceWith(row(answer));
        toast(t("counter.unit.disabled_done", { name: unit.name }));
      }),
    );
    return line;
  };

  const load = async (reset) => {
    if (reset) {
      body.replaceChildren();
      last = null;
    }
    const page = await call(`/v1/units?limit=${UNIT_PAGE}${last ? `&after=${last}` : ""}`);
    body.append(...page.map(row));
    if (page.length) last = page[page.length - 1].id;
    more.hidden = page.length < UNIT_PAGE;
    if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("counter.unit.none"))));
  };
  more.addEventListener("click", () => busy(more, () => load(false)));

  const form = el(
    "form",
    { class: "stack", novalidate: true, id: "unit-form", "aria-labelledby": "unit-register-title" },
    el("h4", { id: "unit-register-title" }, t("counter.unit.register")),
    el("div", {}, el("label", { for: "unit-name" }, t("counter.unit.name")), name),
    el("div", {}, el("label", { for: "unit-code" }, t("counter.unit.code")), code, problem),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const found = check();
    if (found) {
      problem.textContent = t(found.key, found.values);
      code.focus();
      return;
    }
    if (name.value.trim().length < 2) {
      toast(t("counter.unit.name_short"));
      name.focus();
      return;
    }
    busy(submit, async () => {
      try {
        const answer = await call("/v1/units", { method: "POST", body: { name: name.value.trim(), creditCode: code.value } });
        name.value = "";
        code.value = "";
        problem.textContent = "";
        showOnce({ title: t("counter.unit.key_sheet", { name: answer.unit.name }), secret: answer.apiKey, lines: [t("counter.unit.key_tell")], opener: submit });
        await load(true);
      } catch (error) {
        problem.textContent = explain(error);
      }
    });
  });

  const table = el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ["name", "code", "created", "state", "actions"].map((column) => el("th", { scope: "col" }, t(`counter.unit.col.${column}`))))),
    body,
  );
  const card = el(
    "div",
    { class: "card stack", id: "units-card", role: "group", "aria-labelledby": "units-title" },
    el("h3", { id: "units-title" }, t("counter.unit.title")),
    form,
    el("h4", {}, t("counter.unit.list")),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": t("counter.unit.list") }, table),
    more,
  );
  load(true).catch((error) => body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "notice bad" }, explain(error)))));
  return card;
}
