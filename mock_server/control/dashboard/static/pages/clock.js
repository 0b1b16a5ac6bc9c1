// The clock page: now, advance, set, freeze, back to real time.
"use strict";

start(() => {
  const error = $("#clock-error");
  const render = (view) => {
    clock.frozen = view.frozen;
    $("#clock-mode").textContent = view.frozen ? "frozen" : "running";
    $("#clock-mode").className = view.frozen ? "badge warn" : "badge ok";
    $("#fake-frozen").hidden = !view.frozen;
  };
  setInterval(() => {
    const now = fakeNow();
    if (now === null) return;
    $("#clock-now").textContent = when(now);
    $("#clock-unix").textContent = `unix ${now.toFixed(0)}`;
  }, 250);
  const post = (path, payload, node) => act(node || error, async () => render(await api("POST", path, payload)));
  $("#clock-freeze").addEventListener("click", () => post("/_mock/clock/freeze"));
  $("#clock-unfreeze").addEventListener("click", () => post("/_mock/clock/unfreeze"));
  $("#clock-reset").addEventListener("click", () => post("/_mock/clock/reset"));
  for (const button of $$("[data-advance]")) {
    button.addEventListener("click", () => post("/_mock/clock/advance", JSON.parse(button.dataset.advance)));
  }
  $("#advance-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = values(e.target);
    post("/_mock/clock/advance", { [v.unit]: Number(v.amount) }, $(".error", e.target));
  });
  $("#set-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = values(e.target);
    const at = /^-?\d+(\.\d+)?$/.test(v.at || "") ? Number(v.at) : v.at;
    const payload = { at };
    if (v.freeze) payload.freeze = v.freeze === "true";
    post("/_mock/clock/set", payload, $(".error", e.target));
  });
  live(async () => render(await api("GET", "/_mock/clock")));
});
