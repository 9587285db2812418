// The wallet's print screen (#/c/<id>/print): the certificate laid out for A4, printed by the
// browser or as a PDF, with either a unit's grant QR code (only that unit can redeem it) or a
// 验证码 anyone can check at /verify.
//
// A code makes the printed fields readable by whoever holds the paper, so it is a grant signed on
// this device like any other: POST /v1/prints/draft gives the code and the EIP-712 print grant
// (its id derived from the code, so the signature binds the code), the wallet key signs it, and
// POST /v1/prints stores it. The paper shows exactly the fields the code discloses. This
// certificate's codes are listed here, each with a button to withdraw it.

import { busy, el, LANG, renderDocument, t, toast, tx } from "/static/common.js";
import { beijingTime } from "/static/verdict.js";
import { addRoute, blobToBase64, blockedReason, call, certificates, saveBlob, savedLinks, show, walletKey } from "/static/wallet_core.js";

const MAX_DAYS = 90; // POST /v1/prints/draft refuses more

function back(id) {
  return el("div", { class: "row no-print" }, el("a", { href: `#/c/${id}` }, `← ${t("wallet.back")}`));
}

/** The fields that hold data, in the type's order, each a checkbox (all ticked). */
function fieldChoices(certificate) {
  const claims = certificate.document.claims || {};
  const names = Object.keys(certificate.fieldTitles).filter((name) => claims[name] !== undefined && claims[name] !== null && claims[name] !== "");
  return names.map((name) =>
    el(
      "label",
      { class: "check" },
      el("input", { type: "checkbox", name: "print-field", value: name, checked: true }),
      ` ${tx(certificate.fieldTitles[name])}`,
    ),
  );
}

async function signPrint(id, fields, days) {
  const signer = await walletKey();
  if (!signer) return null;
  const draft = await call("/v1/prints/draft", { method: "POST", body: { certificateId: id, fields, days } });
  const { EIP712Domain, ...types } = draft.typedData.types;
  const signature = await signer.signTypedData(draft.typedData.domain, types, draft.typedData.message);
  await call("/v1/prints", { method: "POST", body: { certificateId: id, fields, expires: draft.expires, code: draft.code, signature } });
  return draft.code;
}

async function downloadPdf(id, number, body) {
  const response = await call(`/v1/certificates/${id}/pdf`, { method: "POST", body: { ...body, lang: LANG }, raw: true });
  saveBlob(await response.blob(), `${number}.pdf`);
}

function codesList(id, prints, redraw) {
  const mine = prints.filter((item) => item.certificateId === id);
  if (!mine.length) return el("p", { class: "muted", id: "print-codes-none" }, t("print.grants.none"));
  return el(
    "ul",
    { class: "stack", id: "print-codes" },
    mine.map((item) => {
      const state = item.state === "active" ? null : el("span", { class: "badge" }, t(item.state === "revoked" ? "print.grants.revoked" : "print.grants.expired"));
      const withdraw =
        item.state === "active"
          ? el("button", { type: "button", class: "btn secondary", dataset: { print: item.id } }, t("print.grants.revoke"))
          : null;
      withdraw?.addEventListener("click", () =>
        busy(withdraw, async () => {
          if (!window.confirm(t("print.grants.revoke_confirm"))) return;
          await call(`/v1/prints/${item.id}/revoke`, { method: "POST" });
          await redraw();
        }),
      );
      return el("li", { class: "row", dataset: { state: item.state } }, el("span", {}, t("print.grants.item", { hint: item.id.slice(0, 6), until: beijingTime(item.expiresAt) })), state, withdraw);
    }),
  );
}

async function printView(parts, query) {
  const id = parts[1];
  const [certificate, items] = await Promise.all([call(`/v1/certificates/${id}`), certificates()]);
  const blocked = blockedReason(items.find((item) => item.id === id) ?? certificate);
  if (blocked) return show(back(id), el("h1", {}, t("wallet.print.title")), el("p", { class: "notice bad", id: "blocked" }, t(blocked)));

  // A unit's grant made on this device: its QR code on the paper, for that unit alone.
  const grants = (await call("/v1/grants?limit=100")).filter((grant) => grant.certificateId === id && grant.state === "active" && savedLinks()[grant.id]);
  const choice = el("select", { id: "print-grant" }, el("option", { value: "" }, t("wallet.print.no_qr")), grants.map((grant) => el("option", { value: grant.id, selected: grant.id === query.get("grant") }, `${grant.unit.name} · ${grant.purpose}`)));
  const qrBox = el("div", { class: "qr" });
  const drawQr = async () => {
    qrBox.replaceChildren();
    const link = savedLinks()[choice.value];
    if (!choice.value || !link) return;
    const response = await call(`/v1/grants/${choice.value}/qr`, { method: "POST", body: { key: link.split("#")[1], format: "png" }, raw: true });
    const grant = grants.find((item) => item.id === choice.value);
    qrBox.append(el("img", { src: `data:image/png;base64,${await blobToBase64(await response.blob())}`, alt: t("wallet.grant.qr_alt", { unit: grant.unit.name }), width: "180", height: "180" }), el("p", { class: "muted" }, t("wallet.print.qr_for", { unit: grant.unit.name, purpose: grant.purpose })));
  };
  choice.addEventListener("change", drawQr);
  const printButton = el("button", { type: "button", class: "btn" }, t("wallet.print.print"));
  printButton.addEventListener("click", () => window.print());
  const pdf = el("button", { type: "button", class: "btn secondary", id: "print-pdf" }, t("wallet.print.pdf"));
  pdf.addEventListener("click", () => busy(pdf, () => downloadPdf(id, certificate.number, { link: choice.value ? savedLinks()[choice.value] : null })));

  // A 验证码 anyone can check: signed on this device.
  const days = el("input", { id: "print-days", type: "number", min: "1", max: String(MAX_DAYS), value: String(MAX_DAYS), inputmode: "numeric", required: true });
  const sign = el("button", { type: "submit", class: "btn", id: "print-sign" }, t("print.sheet.sign"));
  const done = el("div", { id: "print-done", "aria-live": "polite" });
  const codes = el("div", { id: "print-codes-box" });
  const redraw = async () => codes.replaceChildren(codesList(id, await call("/v1/prints?limit=100"), redraw));
  const codeForm = el(
    "form",
    { class: "card no-print stack", id: "print-code-form", novalidate: true },
    el("h2", {}, t("print.code")),
    el("p", { class: "muted" }, t("print.sheet.lead")),
    el("fieldset", { class: "stack" }, el("legend", {}, t("print.sheet.fields")), fieldChoices(certificate), el("div", { class: "hint" }, t("print.sheet.always"))),
    el("div", {}, el("label", { for: "print-days" }, t("print.sheet.days", { days: MAX_DAYS })), days),
    el("div", { class: "row" }, sign),
    done,
    el("h3", {}, t("print.grants.title")),
    codes,
  );
  codeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(sign, async () => {
      const fields = [...codeForm.querySelectorAll("input[name=print-field]:checked")].map((input) => input.value);
      const term = Number(days.value);
      if (!fields.length || !Number.isInteger(term) || term < 1 || term > MAX_DAYS) return toast(t("print.sheet.days", { days: MAX_DAYS }));
      const code = await signPrint(id, fields, term);
      if (!code) return undefined;
      await downloadPdf(id, certificate.number, { code });
      done.replaceChildren(el("p", { class: "notice good" }, t("print.sheet.done"), el("strong", { id: "print-code-shown", class: "code" }, code)));
      return redraw();
    });
  });

  show(
    back(id),
    el("h1", { class: "no-print" }, t("wallet.print.title")),
    el("div", { class: "card no-print stack" }, el("label", { for: "print-grant" }, t("wallet.print.qr")), choice, el("div", { class: "hint" }, t("wallet.print.qr_hint")), el("div", { class: "row" }, printButton, pdf)),
    codeForm,
    el("div", { class: "card" }, renderDocument(certificate.view), el("p", { class: "muted" }, `${t("wallet.number")} ${certificate.number}`), qrBox),
  );
  await Promise.all([drawQr(), redraw()]);
}

addRoute("c/print", printView);
