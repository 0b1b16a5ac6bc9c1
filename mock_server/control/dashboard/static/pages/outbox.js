// The outbox page: codes to copy, links to click.
"use strict";

start(() => {
  const error = $("#outbox-error");
  const build = (m) => el("li", { class: "card message" },
    el("div", { class: "row" },
      el("strong", { class: "grow" }, m.to),
      el("span", { class: "badge" }, m.kind.replace(/_/g, " ")),
      el("span", { class: "muted" }, `${m.channel} · ${when(m.sent_at)}`)),
    m.code ? el("div", { class: "code-row" },
      el("output", { class: "code", "aria-label": `Passcode for ${m.to}` }, m.code), copyButton(m.code, "passcode")) : null,
    m.link ? el("div", { class: "link-row" },
      el("a", { href: m.link, class: "magic", rel: "noopener" }, "Open magic link"),
      el("span", { class: "mono small muted break" }, m.link), copyButton(m.link, "link")) : null,
    !m.link && m.token ? el("div", { class: "link-row" }, el("span", { class: "mono small break" }, m.token), copyButton(m.token, "token")) : null,
    m.expires_at ? el("div", { class: "muted small" }, "Expires ", el("span", { class: "countdown", "data-expires": m.expires_at })) : null);
  async function list() {
    const { messages } = await api("GET", "/_mock/outbox", undefined, inApp());
    sync($("#outbox-list"), messages, (m) => m.id, build);
    $("#outbox-empty").hidden = messages.length > 0;
    renderClock();
  }
  $("#outbox-clear").addEventListener("click", () => act(error, async () => {
    await api("DELETE", "/_mock/outbox", undefined, inApp());
    await list();
  }));
  live(list);
});
