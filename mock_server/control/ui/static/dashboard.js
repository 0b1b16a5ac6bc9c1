// moonkey-mock dashboard: every read and action is a fetch of the control API under /_mock/.
// Lists stay live by polling about once a second. No dependencies, no build step.
"use strict";

const body = document.body;
const PAGE = body.dataset.page;
const DEFAULT_APP = body.dataset.defaultApp;
const query = new URLSearchParams(location.search);
const APP = query.get("app") || DEFAULT_APP;
const POLL_MS = 1000;
const clock = { now: null, at: 0, frozen: false };

// ---------------------------------------------------------------- DOM helpers
function el(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    node.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return node;
}
const $ = (selector, root) => (root || document).querySelector(selector);
const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

function show(node, text) {
  if (!node) return;
  node.textContent = text || "";
  node.hidden = !text;
}

function pad(n) { return String(n).padStart(2, "0"); }
function when(unix) {
  if (unix === null || unix === undefined) return "";
  const d = new Date(unix * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}
// A time that may wrap between the date and the clock time, never inside either.
function whenNode(unix) {
  const [date, ...rest] = when(unix).split(" ");
  return el("span", {}, el("span", { class: "nowrap" }, date), " ", el("span", { class: "nowrap" }, rest.join(" ")));
}
function span(seconds) {
  let s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${s}s`;
  return m ? `${m}m ${s}s` : `${s}s`;
}
function json(value) { return JSON.stringify(value, null, 2); }

// ---------------------------------------------------------------- the control API
class Refused extends Error {}

function noteNow(reply) {
  const now = parseFloat(reply.headers.get("X-Moonkey-Mock-Now"));
  if (!Number.isNaN(now)) { clock.now = now; clock.at = performance.now(); }
}
function fakeNow() {
  if (clock.now === null) return null;
  return clock.now + (clock.frozen ? 0 : (performance.now() - clock.at) / 1000);
}

async function api(method, path, payload, params) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    if (payload !== undefined) init.body = JSON.stringify(payload);
  }
  const reply = await fetch(url, init);
  noteNow(reply);
  const text = await reply.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (reply.status === 401 && body.dataset.login === "true") {
    location.assign(body.dataset.loginUrl);
  }
  if (!reply.ok) {
    throw new Refused((data && data.error_message) || `${reply.status} ${reply.statusText}`);
  }
  return data;
}
const inApp = (extra) => Object.assign({ app_id: APP }, extra || {});

// Run an action; show the fake's refusal (the envelope's error_message) next to it.
async function act(errorNode, fn) {
  show(errorNode, "");
  try {
    return await fn();
  } catch (error) {
    show(errorNode, error.message);
    return undefined;
  }
}

// Poll `fn` about once a second (never two at once); failures go to the banner.
function live(fn, every) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try { await fn(); show($("#banner"), ""); } catch (error) { show($("#banner"), error.message); }
    busy = false;
  };
  ready.then(() => {
    tick();
    setInterval(tick, every || POLL_MS);
  });
}

// Keep a container's children in step with `items` by key: new ones built, gone ones removed,
// existing ones updated in place (so focus, open details and typed values survive a poll).
function sync(container, items, key, build, update) {
  const old = new Map($$(":scope > [data-key]", container).map((n) => [n.dataset.key, n]));
  let previous = null;
  for (const item of items) {
    const k = String(key(item));
    let node = old.get(k);
    if (node) { old.delete(k); if (update) update(node, item); }
    else { node = build(item); node.dataset.key = k; }
    const wanted = previous ? previous.nextSibling : container.firstChild;
    if (node !== wanted) container.insertBefore(node, wanted);
    previous = node;
  }
  for (const node of old.values()) node.remove();
  labelCells(container);
}

// Give each cell its column's title: a narrow screen shows table rows as labelled cards.
function labelCells(tbody) {
  const table = tbody.closest("table");
  if (!table) return;
  const titles = $$("thead th", table).map((th) => th.textContent);
  for (const row of $$(":scope > tr", tbody)) {
    Array.from(row.cells).forEach((cell, i) => { if (titles[i]) cell.dataset.label = titles[i]; });
  }
}

function copyButton(value, label) {
  const button = el("button", { type: "button", class: "copy quiet", "aria-label": `Copy ${label}` }, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
      button.textContent = "Copied";
    } catch (e) {
      button.textContent = "Select + Ctrl-C";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
  return button;
}

// A button that asks once more before acting.
function confirmButton(label, really, onConfirm, cls) {
  const button = el("button", { type: "button", class: cls || "danger" }, label);
  let armed = false;
  button.addEventListener("click", async () => {
    if (!armed) {
      armed = true;
      button.textContent = really;
      setTimeout(() => { armed = false; button.textContent = label; }, 4000);
      return;
    }
    armed = false;
    button.textContent = label;
    await onConfirm();
  });
  return button;
}

function values(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    if (typeof v === "string" && v.trim() !== "") out[k] = v.trim();
  }
  return out;
}

// ---------------------------------------------------------------- shell: app switcher, clock
async function shell() {
  for (const a of $$("[data-nav]")) a.href = `${a.pathname}?app=${encodeURIComponent(APP)}`;
  const switcher = $("#app-switcher");
  switcher.addEventListener("change", () => {
    const next = new URL(location.href);
    next.searchParams.set("app", switcher.value);
    location.assign(next);
  });
  try {
    fillSwitcher((await api("GET", "/_mock/apps")).apps);
  } catch (error) { show($("#banner"), error.message); }
  const readClock = async () => {
    const view = await api("GET", "/_mock/clock");
    clock.frozen = view.frozen;
    $("#fake-frozen").hidden = !view.frozen;
  };
  await readClock().catch((error) => show($("#banner"), error.message));
  renderClock();
  setInterval(() => readClock().catch(() => {}), POLL_MS);
  setInterval(renderClock, 250);
}
// The app switcher's options (kept when unchanged, so an open list is not disturbed).
function fillSwitcher(apps) {
  const switcher = $("#app-switcher");
  const label = (a) => (a.name ? `${a.name} (${a.app_id})` : a.app_id);
  const wanted = apps.map((a) => `${a.app_id}\n${label(a)}`).join("\n");
  if (switcher.dataset.apps === wanted) return;
  switcher.dataset.apps = wanted;
  switcher.replaceChildren(...apps.map((a) => el("option", { value: a.app_id, selected: a.app_id === APP }, label(a))));
}
function renderClock() {
  const now = fakeNow();
  if (now === null) return;
  $("#fake-now").textContent = when(now);
  for (const node of $$("[data-expires]")) {
    const left = Number(node.dataset.expires) - now;
    node.textContent = left > 0 ? `in ${span(Math.ceil(left))}` : "expired";
    node.classList.toggle("soon", left > 0 && left < 300);
    node.classList.toggle("gone", left <= 0);
  }
}

// ---------------------------------------------------------------- users
function userLabel(u) {
  return u.email || u.phone_number || u.user_id;
}
const pages = {};
pages.users = () => {
  const search = $("#user-q");
  let selected = query.get("user");
  search.form.addEventListener("submit", (e) => e.preventDefault());
  const row = (u) => el("tr", {},
    el("td", {}, el("button", { type: "button", class: "link", onclick: () => { selected = u.user_id; detail(); } },
      userLabel(u)), el("div", { class: "muted mono small" }, u.user_id)),
    el("td", { "data-col": "status" }), el("td", { "data-col": "count" }), el("td", {}, whenNode(u.created_at)));
  const update = (node, u) => {
    $("[data-col=status]", node).textContent = u.status;
    $("[data-col=count]", node).textContent = String(u.session_count);
  };
  async function list() {
    const found = await api("GET", "/_mock/users", undefined, inApp({ q: search.value.trim() }));
    sync($("#users-body"), found.users, (u) => u.user_id, (u) => { const n = row(u); update(n, u); return n; }, update);
    const empty = $("#users-empty");
    empty.textContent = search.value.trim() ? "No user matches." : "No users in this app yet.";
    empty.hidden = found.total > 0;
    $("#user-total").textContent = `${found.total} user${found.total === 1 ? "" : "s"}`;
    if (selected) await detail(true);
  }
  async function detail(quiet) {
    const box = $("#user-detail");
    try {
      const { user, sessions } = await api("GET", `/_mock/users/${encodeURIComponent(selected)}`, undefined, inApp());
      box.replaceChildren(...userDetail(user, sessions, async () => {
        await api("DELETE", `/_mock/users/${encodeURIComponent(user.user_id)}`, undefined, inApp());
        selected = null; box.hidden = true; await list();
      }));
      box.hidden = false;
      if (!quiet) box.focus();
    } catch (error) {
      selected = null;
      box.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
    }
  }
  search.addEventListener("input", () => list());
  $("#user-detail").tabIndex = -1;
  live(list);
};

function userDetail(u, sessions, onDelete) {
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const name = [u.first_name, u.middle_name, u.last_name].filter(Boolean).join(" ");
  const item = (main, ...rest) => el("li", {}, el("span", { class: "mono" }, main), " ", ...rest);
  const verified = (v) => el("span", { class: v ? "badge ok" : "badge" }, v ? "verified" : "not verified");
  const factors = [
    ...u.wallets.map((w) => item(w.public_address || w.wallet_id || "", el("span", { class: "muted" }, `wallet ${w.wallet_type || ""}`))),
    ...u.idp_providers.map((p) => item(p.provider_subject || "", el("span", { class: "muted" }, `OAuth ${p.idp_provider || p.provider || ""}`))),
    ...u.totps.map((t) => item(t.totp_id || t.id || "TOTP", el("span", { class: "muted" }, "TOTP"))),
    ...u.webauthn_credentials.map((c) => item(c.id || "credential", el("span", { class: "muted" }, "WebAuthn"))),
  ];
  const list = (items, none) => items.length ? el("ul", { class: "plain" }, items) : el("p", { class: "muted" }, none);
  return [
    el("div", { class: "row" },
      el("h2", { class: "grow" }, name || userLabel(u)),
      confirmButton("Delete user", "Really delete?", () => act(error, onDelete))),
    error,
    el("dl", { class: "facts" },
      el("dt", {}, "User id"), el("dd", { class: "mono" }, u.user_id, " ", copyButton(u.user_id, "user id")),
      el("dt", {}, "Status"), el("dd", {}, u.status),
      el("dt", {}, "Created"), el("dd", {}, when(u.created_at))),
    el("h3", {}, "Emails"),
    list(u.emails.map((e) => item(e.email, verified(e.verified), el("div", { class: "muted mono small" }, e.email_id || e.id || ""))), "No email."),
    el("h3", {}, "Phone numbers"),
    list(u.phone_numbers.map((p) => item(p.phone_number, verified(p.verified), el("div", { class: "muted mono small" }, p.phone_id || p.id || ""))), "No phone number."),
    el("h3", {}, "Factors"),
    list(factors, "No wallet, OAuth identity, TOTP or WebAuthn credential."),
    el("h3", {}, `Live sessions (${sessions.length})`),
    list(sessions.map((s) => el("li", {},
      el("span", { class: "mono" }, s.id), " ",
      el("span", { class: "muted" }, s.factors.map((f) => `${f.delivery_channel}`).join(", ")), " ",
      el("span", { class: "countdown", "data-expires": s.expires_at }))), "No live session."),
  ];
}

// ---------------------------------------------------------------- sessions
pages.sessions = () => {
  const error = $("#sessions-error");
  const build = (s) => {
    const minutes = el("input", { type: "number", min: "5", max: "527040", value: "60", "aria-label": `Extend ${s.id} by minutes`, class: "narrow" });
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
    const { sessions } = await api("GET", "/_mock/sessions", undefined, inApp());
    sync($("#sessions-body"), sessions, (s) => s.id, (s) => { const n = build(s); update(n, s); return n; }, update);
    $("#sessions-empty").hidden = sessions.length > 0;
    renderClock();
  }
  live(list);
};

// ---------------------------------------------------------------- outbox
pages.outbox = () => {
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
};

// ---------------------------------------------------------------- journal
pages.journal = () => {
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
      pre("Response", Object.fromEntries(Object.entries({
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
};

// ---------------------------------------------------------------- faults
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
pages.faults = () => {
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
};
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

// ---------------------------------------------------------------- clock
pages.clock = () => {
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
};

// ---------------------------------------------------------------- apps and keys
pages.apps = () => {
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
};

// ---------------------------------------------------------------- state
pages.state = () => {
  $("#export-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act($(".error", e.target), async () => {
      const all = values(e.target).scope === "all";
      const doc = await api("GET", "/_mock/state", undefined, all ? {} : inApp());
      const blob = new Blob([json(doc)], { type: "application/json" });
      const link = el("a", { href: URL.createObjectURL(blob), download: `moonkey-mock-${all ? "state" : APP}.json` });
      document.body.append(link);
      link.click();
      link.remove();
    });
  });
  $("#import-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ok = $(".ok", e.target);
    show(ok, "");
    act($(".error", e.target), async () => {
      const file = e.target.elements.file.files[0];
      if (!file) throw new Refused("Choose an export file first");
      let doc;
      try { doc = JSON.parse(await file.text()); } catch (err) { throw new Refused("The file is not JSON"); }
      const done = await api("POST", "/_mock/state", doc);
      show(ok, `Imported ${done.apps.join(", ")}: ` + Object.entries(done.counts).map(([k, n]) => `${n} ${k}`).join(", "));
    });
  });
  const form = $("#reset-form");
  const confirm = $(".confirm", form);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    confirm.hidden = false;
    $("[data-confirm]", confirm).focus();
  });
  $("[data-cancel]", confirm).addEventListener("click", () => { confirm.hidden = true; });
  $("[data-confirm]", confirm).addEventListener("click", () => {
    const ok = $(".ok", form);
    show(ok, "");
    act($(".error", form), async () => {
      const v = values(form);
      const payload = { keep_clock: Boolean(v.keep_clock) };
      if (v.scope !== "all") payload.app_id = APP;
      const done = await api("POST", "/_mock/reset", payload);
      confirm.hidden = true;
      show(ok, done.message);
    });
  });
};

// Handlers are attached at once; polling starts when the fake's clock is known.
const ready = shell();
if (pages[PAGE]) pages[PAGE]();
body.dataset.ready = "true";
