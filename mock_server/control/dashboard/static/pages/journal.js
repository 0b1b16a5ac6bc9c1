// The journal page: a live tail with filters; entries expand.
"use strict";

start(() => {
  const form = $("#journal-filters");
  const error = $("#journal-error");
  form.addEventListener("submit", (e) => e.preventDefault());
  const pre = (title, value) => el("div", {}, el("h4", {}, title), el("pre", {}, json(value)));
  const build = (e) => el("li", {}, el("details", {},
    el("summary", {},
      el("span", { class: `status s${String(e.status)[0]}` }, e.status === 0 ? "dropped" : String(e.status)),
      el("span", { class: "mono" }, `${e.method} ${e.path}`),
      el("span", { class: "op" }, e.operation_id),
      e.injected ? el("span", { class: "badge warn" }, `injected ${e.fault_action || ""}`) : null,
      el("span", { class: "muted small when" }, when(e.at),
        el("span", { class: "duration" }, ` · ${e.duration_ms.toFixed(1)} ms`))),
    el("div", { class: "entry" },
      pre("Query", e.query || {}),
      pre("Request body", e.body),
      pre("Response body", e.response),
      pre("Outcome", Object.fromEntries(Object.entries({
        status: e.status, error_type: e.error_type || undefined, fault_id: e.fault_id || undefined,
        fault_action: e.fault_action || undefined, app_id: e.app_id || "(no app)",
      }).filter(([, v]) => v !== undefined))))));
  async function list() {
    const f = values(form);
    const params = { operation_id: f.operation_id, status: f.status, injected: f.injected, limit: 200 };
    if ((f.scope || "all") === "app") params.app_id = APP;
    const { requests } = await api("GET", "/_mock/requests", undefined, params);
    sync($("#journal-list"), requests.slice().reverse(), (e) => e.seq, build);
    $("#journal-empty").hidden = requests.length > 0;
  }
  form.addEventListener("change", () => act(error, list));
  form.elements.status.addEventListener("input", () => act(error, list));
  $("#journal-clear").addEventListener("click", () => act(error, async () => {
    await api("DELETE", "/_mock/requests");
    await list();
  }));
  live(list);
});
