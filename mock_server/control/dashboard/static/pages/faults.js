// The faults page: armed rules; add any fault, remove one or all.
"use strict";

function target(f) {
  const where = f.operation_id || (f.method || f.path ? `${f.method || "*"} ${f.path || "*"}` : "every operation");
  const match = f.match && Object.keys(f.match).length ? ` where ${JSON.stringify(f.match)}` : "";
  return where + match;
}
function describe(f) {
  if (f.action === "error") return `${f.status} ${f.error_type || ""}`;
  if (f.action === "delay") return f.delay_ms !== null && f.delay_ms !== undefined ? `delay ${f.delay_ms} ms` : `delay ${f.delay_range_ms.join("–")} ms`;
  if (f.action === "hang") return `hang ${f.hang_seconds} s`;
  if (f.action === "rate_limit") return `429 after ${f.limit} / ${f.window_seconds} s`;
  return f.action;
}
start(() => {
  const listError = $("#faults-error");
  const form = $("#fault-form");
  const action = form.elements.action;
  const toggle = () => {
    for (const field of $$("[data-for]", form)) field.hidden = !field.dataset.for.split(" ").includes(action.value);
  };
  action.addEventListener("change", toggle);
  toggle();
  const build = (f) => el("tr", {},
    el("td", { class: "mono small" }, f.id, el("div", { class: "muted" }, f.app_id === "*" ? "any app" : f.app_id)),
    el("td", {}, target(f)),
    el("td", {}, describe(f), f.probability < 1 ? el("div", { class: "muted small" }, `p=${f.probability}`) : null),
    el("td", {}, f.times === null ? "until removed" : String(f.times)),
    el("td", { "data-col": "remaining" }), el("td", { "data-col": "fired" }),
    el("td", {}, el("button", { type: "button", class: "danger", onclick: () => act(listError, async () => {
      await api("DELETE", `/_mock/faults/${encodeURIComponent(f.id)}`);
      await list();
    }) }, "Remove")));
  const update = (node, f) => {
    $("[data-col=remaining]", node).textContent = f.remaining === null ? "∞" : String(f.remaining);
    $("[data-col=fired]", node).textContent = String(f.fired);
  };
  async function list() {
    const { faults } = await api("GET", "/_mock/faults");
    const shown = faults;  // every app's: "Remove all" removes them all
    sync($("#faults-body"), shown, (f) => f.id, (f) => { const n = build(f); update(n, f); return n; }, update);
    $("#faults-empty").hidden = shown.length > 0;
  }
  $("#faults-clear").addEventListener("click", () => act(listError, async () => {
    await api("DELETE", "/_mock/faults");
    await list();
  }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const error = $(".error", form);
    const ok = $(".ok", form);
    show(ok, "");
    act(error, async () => {
      const rule = faultBody(values(form));
      const path = rule.action === "rate_limit" ? "/_mock/faults/rate_limit" : "/_mock/faults";
      if (rule.action === "rate_limit") delete rule.action;
      const added = await api("POST", path, rule);
      show(ok, `Armed ${added.id}`);
      await list();
    });
  });
  live(list);
});
const NUMBERS = ["status", "retry_after", "delay_ms", "hang_seconds", "limit", "window_seconds", "times", "probability"];
function faultBody(v) {
  const rule = { app_id: v.scope === "*" ? "*" : APP, action: v.action };
  const visible = new Set($$("#fault-form .field:not([hidden]) [name]").map((n) => n.name));
  for (const name of ["operation_id", "method", "path", "error_type", "message", ...NUMBERS]) {
    if (v[name] === undefined || !visible.has(name)) continue;
    rule[name] = NUMBERS.includes(name) ? Number(v[name]) : v[name];
  }
  if (visible.has("delay_low") && (v.delay_low !== undefined || v.delay_high !== undefined)) {
    rule.delay_range_ms = [Number(v.delay_low || 0), Number(v.delay_high || 0)];
  }
  if (v.match !== undefined) {
    try { rule.match = JSON.parse(v.match); } catch (e) { throw new Refused("Match must be a JSON object"); }
  }
  return rule;
}
