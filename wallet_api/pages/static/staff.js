// Signing in for bureau staff (operators at the console, auditors at the audit view).

import { api, busy, el, hideLogout, showLogout, t, toast } from "/static/common.js";

/** The staff member's token for `role`, or a sign-in form in `view` that calls `onReady`. */
export function staffSession(role, view, onReady) {
  const storage = `certledger.${role}.token`;
  const token = sessionStorage.getItem(storage);
  const logout = async () => {
    try {
      await api("/v1/auth/logout", { method: "POST", token: sessionStorage.getItem(storage) });
    } catch {
      /* dropped anyway */
    }
    sessionStorage.removeItem(storage);
    staffSession(role, view, onReady);
  };
  if (token) {
    showLogout(logout);
    onReady(token, () => {
      sessionStorage.removeItem(storage);
      toast(t("staff.session_ended"));
      staffSession(role, view, onReady);
    });
    return;
  }
  hideLogout();
  const username = el("input", { id: "username", type: "text", autocomplete: "username", required: true });
  const password = el("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = el("button", { class: "btn block", type: "submit" }, t("staff.submit"));
  const form = el(
    "form",
    { class: "card stack", novalidate: true },
    el("div", {}, el("label", { for: "username" }, t("staff.username")), username),
    el("div", {}, el("label", { for: "password" }, t("staff.password")), password),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const answer = await api("/v1/auth/staff-login", { method: "POST", body: { username: username.value.trim(), password: password.value } });
      if (answer.role !== role) {
        toast(t("staff.wrong_role", { role: t(`role.${role}`) }));
        return;
      }
      sessionStorage.setItem(storage, answer.accessToken);
      staffSession(role, view, onReady);
    });
  });
  view.replaceChildren(el("h1", {}, t(`staff.title.${role}`)), form);
}
