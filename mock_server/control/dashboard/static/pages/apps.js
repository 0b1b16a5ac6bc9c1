// The apps page: copyable keys, new app, rotate signing keys.
"use strict";

start(() => {
  const error = $("#apps-error");
  const keyRow = (label, value) => el("div", { class: "key" },
    el("span", { class: "muted" }, label), el("code", { class: "break" }, value), copyButton(value, label));
  const build = (a) => el("li", { class: "card app" },
    el("div", { class: "row" },
      el("h2", { class: "grow" }, a.name || a.app_id, a.app_id === DEFAULT_APP ? el("span", { class: "badge" }, "default") : null),
      a.app_id === APP ? el("span", { class: "badge ok" }, "selected") : el("a", { href: `?app=${encodeURIComponent(a.app_id)}` }, "Use this app"),
      a.app_id === DEFAULT_APP ? null : confirmButton("Delete", "Really delete?", () => act(error, async () => {
        await api("DELETE", `/_mock/apps/${encodeURIComponent(a.app_id)}`);
        await list();
      }))),
    keyRow("App id", a.app_id),
    ...a.secret_keys.map((k, i) => keyRow(i ? "Older secret key" : "Secret key", k)),
    keyRow("Public token", a.public_token),
    el("p", { class: "muted small" },
      `Sessions ${a.default_session_minutes === null ? "off" : `${a.default_session_minutes} min`} · JWT ${a.jwt_ttl_seconds} s · ` +
      `passcodes ${a.otp_length} digits, ${a.otp_expiry_minutes} min · magic links ${a.magic_link_minutes} min · ` +
      `redirect ${a.default_redirect_url || "none"}`));
  async function list() {
    const { apps } = await api("GET", "/_mock/apps");
    fillSwitcher(apps);
    sync($("#apps-list"), apps, (a) => `${a.app_id}:${a.secret_keys.join()}:${a.name}`, build);
  }
  $("#app-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act($(".error", e.target), async () => {
      const v = values(e.target);
      const settings = {};
      if (v.name) settings.name = v.name;
      if (v.default_redirect_url) settings.default_redirect_url = v.default_redirect_url;
      for (const n of ["default_session_minutes", "jwt_ttl_seconds"]) if (v[n]) settings[n] = Number(v[n]);
      await api("POST", "/_mock/apps", settings);
      e.target.reset();
      await list();
    });
  });
  $("#rotate-keys").addEventListener("click", (e) => {
    const box = e.target.parentElement;
    act($(".error", box), async () => {
      const rotated = await api("POST", "/_mock/keys/rotate");
      show($("#rotate-result"), `New signing key ${rotated.kid} (${rotated.keys.length} in the JWKS)`);
    });
  });
  live(list, 2000);
});
