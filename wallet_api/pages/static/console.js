// The issuing office's console: issue a records file and watch it anchored, find a certificate,
// revoke, suspend or reinstate it with a reason.

import { $, api, el, t } from "/static/common.js";
import { counterCard } from "/static/console_counter.js";
import { issueCard } from "/static/console_issue.js";
import { searchCard } from "/static/console_search.js";
import { staffSession } from "/static/staff.js";

const view = $("#view");

staffSession("operator", view, async (token, expired) => {
  const call = async (path, options = {}) => {
    try {
      return await api(path, { ...options, token });
    } catch (error) {
      if (error.status === 401) expired();
      throw error;
    }
  };
  const [types, reasons] = await Promise.all([api("/v1/types"), call("/v1/office/reasons")]);
  view.replaceChildren(el("h1", {}, t("console.title")), issueCard(token, types, expired), searchCard(call, reasons), counterCard(call));
});
