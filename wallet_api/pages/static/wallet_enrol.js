// Enrolment on the phone, and a reset with a new code from the counter (POST /v1/citizens).
//
// The wallet key is made here (ethers `Wallet.createRandom`) and never sent: the service gets its
// address, a signature of the enrolment message proving the key is held, and a backup encrypted
// on this device (Web3 Secret Storage: scrypt and AES) under a passphrase the service never sees
// and which must differ from the login password (the service sees that one at every login).

import { Wallet } from "/vendor/ethers.js";
import { api, busy, el, t, toast } from "/static/common.js";
import { identityProblem } from "/static/console_counter.js";
import { holdKey, show, startSession } from "/static/wallet_core.js";

const MOBILE = /^1[3-9][0-9]{9}$/;
const MIN_PASSWORD = 10;

/** The text the device signs (EIP-191) to prove it holds the key (wallet_api/_accounts.py). */
export function enrolmentMessage(code, address) {
  return `certledger wallet enrolment\ncode: ${normalizeCode(code)}\naddress: ${address}`;
}

export function normalizeCode(code) {
  return code.replace(/[\s-]/g, "").toUpperCase();
}

/**
 * How hard a passphrase is to guess, 0 (refused) to 3 (strong), from its length and the kinds of
 * characters it mixes, counting a character once however often it repeats, and treating what
 * the service or a thief may know (the password, the phone, the identity number) as worthless.
 */
export function passphraseStrength(passphrase, known = []) {
  if (!passphrase) return 0;
  let rest = passphrase;
  for (const secret of known) if (secret && secret.length >= 4) rest = rest.split(secret).join("");
  const characters = [...rest];
  let pool = 0;
  if (characters.some((c) => /[0-9]/.test(c))) pool += 10;
  if (characters.some((c) => /[a-z]/.test(c))) pool += 26;
  if (characters.some((c) => /[A-Z]/.test(c))) pool += 26;
  // Chinese characters: a few thousand in daily use, but a phrase is far from random; count 1,000.
  if (characters.some((c) => /[\u3400-\u9fff]/.test(c))) pool += 1000;
  if (characters.some((c) => /[^0-9a-zA-Z\u3400-\u9fff]/.test(c))) pool += 33;
  // Repeats and runs add little: count distinct characters, and at most twice the distinct ones.
  const distinct = new Set(characters).size;
  const effective = Math.min(characters.length, distinct * 2);
  const bits = pool ? effective * Math.log2(pool) : 0;
  if (bits < 40 || distinct < 5) return 0;
  if (bits < 56) return 1;
  if (bits < 72) return 2;
  return 3;
}

/** The enrolment (or, with `reset`, the reset) screen; `onEnrolled` runs once logged in. */
export function enrolView({ reset = false, onEnrolled }) {
  const mode = reset ? "reset" : "enrol";
  const input = (id, attrs = {}) => el("input", { id, name: id, required: true, ...attrs });
  const code = input("enrol-code", { type: "text", autocomplete: "one-time-code", maxlength: "20", autocapitalize: "characters", spellcheck: "false", "aria-describedby": "enrol-code-hint" });
  const identity = input("enrol-identity", { type: "text", autocomplete: "off", maxlength: "18", inputmode: "text", "aria-describedby": "enrol-identity-hint" });
  const identityHint = el("div", { class: "hint", id: "enrol-identity-hint", "aria-live": "polite" });
  const phone = input("enrol-phone", { type: "tel", autocomplete: "tel-national", maxlength: "11", inputmode: "numeric" });
  const password = input("enrol-password", { type: "password", autocomplete: "new-password", minlength: String(MIN_PASSWORD) });
  const passwordAgain = input("enrol-password-again", { type: "password", autocomplete: "new-password" });
  const passphrase = input("enrol-passphrase", { type: "password", autocomplete: "off", "aria-describedby": "enrol-passphrase-hint enrol-strength-text" });
  const passphraseAgain = input("enrol-passphrase-again", { type: "password", autocomplete: "off" });
  const meter = el("meter", { id: "enrol-strength", min: "0", max: "3", low: "1.5", high: "2.5", optimum: "3", value: "0" });
  const strengthText = el("div", { class: "hint", id: "enrol-strength-text", "aria-live": "polite" }, t("wallet.enrol.strength.empty"));
  const progress = el("progress", { id: "enrol-progress", max: "100", value: "0", hidden: true, "aria-label": t("wallet.enrol.progress") });
  const progressText = el("div", { class: "hint", id: "enrol-progress-text", "aria-live": "polite" });
  const problem = el("p", { class: "notice bad", id: "enrol-problem", role: "alert", hidden: true });

  const known = () => [password.value, phone.value.trim(), identity.value.trim().toUpperCase(), normalizeCode(code.value)];
  const strength = () => passphraseStrength(passphrase.value, known());
  const updateStrength = () => {
    const level = strength();
    meter.value = passphrase.value ? level : 0;
    strengthText.textContent = passphrase.value ? t(`wallet.enrol.strength.${level}`) : t("wallet.enrol.strength.empty");
    strengthText.className = passphrase.value && level === 0 ? "hint error" : "hint";
  };
  for (const field of [passphrase, password, phone, identity]) field.addEventListener("input", updateStrength);
  identity.addEventListener("input", () => {
    const value = identity.value.trim().toUpperCase();
    const found = value.length === 18 ? identityProblem(value) : null;
    identityHint.textContent = found ? t(found.key, found.values) : "";
    identityHint.className = found ? "hint error" : "hint";
  });

  const refuse = (key) => {
    problem.textContent = t(key);
    problem.hidden = false;
    return false;
  };
  const check = () => {
    problem.hidden = true;
    if (normalizeCode(code.value).length !== 12) return refuse("wallet.enrol.need_code");
    const found = identityProblem(identity.value.trim().toUpperCase());
    if (found) {
      problem.textContent = t(found.key, found.values);
      problem.hidden = false;
      return false;
    }
    if (!MOBILE.test(phone.value.trim())) return refuse("wallet.enrol.need_phone");
    if ([...password.value].length < MIN_PASSWORD) return refuse("wallet.enrol.password_short");
    if (password.value !== passwordAgain.value) return refuse("wallet.enrol.password_mismatch");
    if (passphrase.value === password.value) return refuse("wallet.enrol.passphrase_same");
    if (strength() === 0) return refuse("wallet.enrol.passphrase_weak");
    if (passphrase.value !== passphraseAgain.value) return refuse("wallet.enrol.passphrase_mismatch");
    if (strength() === 1 && !confirm(t("wallet.enrol.weak_confirm"))) return false;
    return true;
  };

  const submit = el("button", { class: "btn block", type: "submit", id: "enrol-submit" }, t(`wallet.${mode}.submit`));
  const field = (control, labelKey, ...after) => el("div", {}, el("label", { for: control.id }, t(labelKey)), control, ...after);
  const form = el(
    "form",
    { class: "card stack", novalidate: true, id: "enrol-form" },
    field(code, `wallet.${mode}.code`, el("div", { class: "hint", id: "enrol-code-hint" }, t("wallet.enrol.code_hint"))),
    field(identity, "wallet.enrol.identity", identityHint),
    field(phone, "wallet.enrol.phone"),
    field(password, "wallet.enrol.password"),
    field(passwordAgain, "wallet.enrol.password_again"),
    field(passphrase, "wallet.enrol.passphrase", el("div", { class: "hint", id: "enrol-passphrase-hint" }, t("wallet.enrol.passphrase_hint")), el("label", { for: "enrol-strength", class: "meter-label" }, t("wallet.enrol.strength")), meter, strengthText),
    field(passphraseAgain, "wallet.enrol.passphrase_again"),
    problem,
    progress,
    progressText,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!check()) return;
    busy(submit, async () => {
      // The key is made and encrypted here; only its address, a signature and the ciphertext leave.
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      const proof = await wallet.signMessage(enrolmentMessage(code.value, wallet.address));
      progress.hidden = false;
      progressText.textContent = t("wallet.enrol.progress");
      const backup = await wallet.encrypt(passphrase.value, (share) => {
        progress.value = Math.round(share * 100);
      });
      progressText.textContent = t("wallet.enrol.sending");
      const identityNumber = identity.value.trim().toUpperCase();
      try {
        await api("/v1/citizens", {
          method: "POST",
          body: { identityNumber, code: normalizeCode(code.value), phone: phone.value.trim(), password: password.value, walletAddress: wallet.address, walletProof: proof, keyBackup: JSON.parse(backup) },
        });
      } finally {
        progress.hidden = true;
        progressText.textContent = "";
      }
      localStorage.setItem(`certledger.wallet.backup.${wallet.address.toLowerCase()}`, backup);
      const login = await api("/v1/auth/login", { method: "POST", body: { login: identityNumber, password: password.value } });
      startSession(login.accessToken);
      holdKey(wallet);
      toast(t(`wallet.${mode}.done`));
      onEnrolled();
    });
  });
  show(
    el("div", { class: "row" }, el("a", { href: "#/" }, `← ${t("wallet.enrol.back")}`)),
    el("h1", {}, t(`wallet.${mode}.title`)),
    el("p", { class: "muted" }, t(`wallet.${mode}.lead`)),
    form,
  );
}
