// The sessions page: live list with countdowns; revoke, extend.
"use strict";

start(() => {
  const error = $("#sessions-error");
  const build = (s) => {
    const { extendMin, extendMax } = document.body.dataset; // ExtendSessionRequest's bounds, from the served spec
    const minutes = el("input", { type: "number", min: extendMin, max: extendMax, value: "60", "aria-label": `Extend ${s.id} by minutes`, class: "narrow" });
    return el("tr", {},
      el("td", {}, el("a", { href: `./users?app=${encodeURIComponent(APP)}&user=${encodeURIComponent(s.user_id)}` }, s.email || s.phone_number || s.user_id),
        el("div", { class: "muted mono small" }, s.user_id)),
      el("td", { class: "mono small" }, s.id),
      el("td", {}, s.factors.map((f) => f.delivery_channel).join(", ")),
      el("td", {}, whenNode(s.started_at)),
      el("td", {}, el("span", { class: "countdown", "data-col": "expires" }), el("div", { class: "muted small", "data-col": "at" })),
      el("td", { class: "actions" },
        el("button", { type: "button", class: "danger", onclick: () => act(error, async () => {
          await api("DELETE", `/_mock/sessions/${encodeURIComponent(s.id)}`, undefined, inApp());
          await list();
        }) }, "Revoke"),
        el("span", { class: "extend" }, minutes, el("span", { class: "muted small" }, "min"),
          el("button", { type: "button", onclick: () => act(error, async () => {
            await api("POST", `/_mock/sessions/${encodeURIComponent(s.id)}/extend`, { minutes: Number(minutes.value) }, inApp());
            await list();
          }) }, "Extend"))));
  };
  const update = (node, s) => {
    $("[data-col=expires]", node).dataset.expires = s.expires_at;
    $("[data-col=at]", node).textContent = when(s.expires_at);
  };
  async function list() {
    const { sessions, total } = await api("GET", "/_mock/sessions", undefined, inApp());
    const more = $("#sessions-more");
    more.textContent = `Showing the ${sessions.length} soonest to expire of ${total}.`;
    more.hidden = total <= sessions.length;
    sync($("#sessions-body"), sessions, (s) => s.id, (s) => { const n = build(s); update(n, s); return n; }, update);
    $("#sessions-empty").hidden = sessions.length > 0;
    renderClock();
  }
  live(list);
});
