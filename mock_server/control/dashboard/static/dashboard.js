// moonkey-mock dashboard, shared by every page: helpers, the control API client, live polling,
// the header (app switcher, the fake's clock). Each page's own script (pages/<name>.js) calls
// start(). Every read and action is a fetch of the control API under /_mock/. No dependencies,
// no build step.
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

// Handlers are attached at once (each page's script calls start); polling waits for the clock.
const ready = shell();
function start(init) {
  init();
  body.dataset.ready = "true";
}
