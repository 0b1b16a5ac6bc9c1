// The users page: search, detail, delete.
"use strict";

function userLabel(u) {
  return u.email || u.phone_number || u.user_id;
}

start(() => {
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
      const { user, sessions, wallets } = await api("GET", `/_mock/users/${encodeURIComponent(selected)}`, undefined, inApp());
      box.replaceChildren(...userDetail(user, sessions, wallets || [], async () => {
        await api("DELETE", `/_mock/users/${encodeURIComponent(user.user_id)}`, undefined, inApp());
        selected = null; box.hidden = true; await list();
      }));
      const { transfers } = await api("GET", "/_mock/transfers", undefined, inApp({ user_id: user.user_id }));
      box.append(...transferSection(transfers));
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
});

function transferSection(transfers) {
  // The user's transfers of every status (GET /_mock/transfers), newest first.
  const item = (t) => el("li", { "data-transfer": t.id },
    el("span", { class: t.status === "completed" ? "badge ok" : "badge", "data-col": "status" }, t.status), " ",
    el("span", { class: "mono" }, `${t.source_amount} ${t.source_currency}`), " → ",
    el("span", { class: "mono" }, t.dest),
    el("div", { class: "muted small" }, `receives ${t.dest_amount}, fees ${t.total_fees}`,
      t.failure_reason ? ` · ${t.failure_reason}` : ""),
    el("div", { class: "muted mono small" }, t.id, " ", copyButton(t.id, "transfer id"),
      t.blockchain_tx_hash ? ` ${t.blockchain_tx_hash}` : ""));
  return [
    el("h3", {}, `Transfers (${transfers.length})`),
    transfers.length ? el("ul", { class: "plain" }, transfers.map(item)) : el("p", { class: "muted" }, "No transfer."),
  ];
}

function walletItem(w) {
  // A wallet: its address, chain and kind; its id (copyable) and the balances set on it.
  const held = w.balances.length
    ? w.balances.map((b) => `${b.balance} ${b.token_symbol}`).join(", ")
    : "no balance set";
  return el("li", { "data-wallet": w.id },
    el("span", { class: "mono" }, w.public_address), " ",
    el("span", { class: "badge" }, w.wallet_type), " ",
    el("span", { class: w.kind === "linked" ? "badge" : "badge ok" }, w.kind),
    el("div", { class: "muted mono small" }, w.id, " ", copyButton(w.id, "wallet id")),
    el("div", { class: "muted small", "data-col": "balances" }, held));
}

function userDetail(u, sessions, wallets, onDelete) {
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const name = [u.first_name, u.middle_name, u.last_name].filter(Boolean).join(" ");
  const item = (main, ...rest) => el("li", {}, el("span", { class: "mono" }, main), " ", ...rest);
  const verified = (v) => el("span", { class: v ? "badge ok" : "badge" }, v ? "verified" : "not verified");
  const factors = [
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
    el("h3", {}, `Wallets (${wallets.length})`),
    list(wallets.map(walletItem), "No wallet."),
    el("h3", {}, "Factors"),
    list(factors, "No OAuth identity, TOTP or WebAuthn credential."),
    el("h3", {}, `Live sessions (${sessions.length})`),
    list(sessions.map((s) => el("li", {},
      el("span", { class: "mono" }, s.id), " ",
      el("span", { class: "muted" }, s.factors.map((f) => `${f.delivery_channel}`).join(", ")), " ",
      el("span", { class: "countdown", "data-expires": s.expires_at }))), "No live session."),
  ];
}
