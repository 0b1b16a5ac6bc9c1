"""``GET /_mock/passkey``: a page that registers and signs in with a real browser's WebAuthn.

It runs ``navigator.credentials.create()`` and ``get()`` against the fake's own WebAuthn
operations, so a headless Chromium with a virtual authenticator (or a person with a real one)
exercises exactly what a browser sends. The page is static: the secret key, the user id and the
domain come from its query string (``?key=sk_test_…&user_id=user_…&domain=localhost``) and are
read by the page's script only. Served only when the control API is enabled (it is a test aid).
WebAuthn needs a secure context: open it as ``http://localhost:<port>`` (not 127.0.0.1).
"""

from __future__ import annotations

from flask import Blueprint, Response

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Passkey (moonkey-mock)</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}label{display:block;
margin:.6em 0}input{width:100%;padding:.3em}button{margin:1em .5em 0 0;padding:.4em 1.2em}
pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap;word-break:break-all}</style></head>
<body><h1>Passkey</h1>
<p>Registers a passkey and signs in with it through this fake's WebAuthn operations.</p>
<label>User id <input id="user_id"></label>
<label>Domain (relying-party id) <input id="domain"></label>
<button id="register">Register a passkey</button>
<button id="sign_in">Sign in with a passkey</button>
<p>Status: <span id="status" data-state="idle">idle</span></p>
<pre id="result"></pre>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const key = params.get("key") || "";
document.getElementById("user_id").value = params.get("user_id") || "";
document.getElementById("domain").value = params.get("domain") || location.hostname;

function bytes(text) {
  let s = text.replace(/-/g, "+").replace(/_/g, "/");
  while (s.length % 4) s += "=";
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}
function b64url(buffer) {
  let s = "";
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
}
async function call(path, body) {
  const reply = await fetch(path, {
    method: "POST",
    headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
    body: JSON.stringify(body),
  });
  const json = await reply.json();
  if (!reply.ok) throw new Error(reply.status + " " + json.error_type + ": " + json.error_message);
  return json;
}
function show(state, value) {
  const status = document.getElementById("status");
  status.dataset.state = state;
  status.textContent = state;
  document.getElementById("result").textContent =
    typeof value === "string" ? value : JSON.stringify(value, null, 2);
}
function fields() {
  return {
    user_id: document.getElementById("user_id").value,
    domain: document.getElementById("domain").value,
  };
}
async function register() {
  const begun = await call("/v1/auth/webauthn/registrations/begin", fields());
  const options = begun.public_key_credential_creation_options.publicKey;
  options.challenge = bytes(options.challenge);
  options.user.id = bytes(options.user.id);
  options.excludeCredentials = options.excludeCredentials.map(
    (c) => ({type: c.type, id: bytes(c.id)}));
  const made = await navigator.credentials.create({publicKey: options});
  const credential = {
    type: made.type, id: made.id, rawId: b64url(made.rawId),
    response: {
      clientDataJSON: b64url(made.response.clientDataJSON),
      attestationObject: b64url(made.response.attestationObject),
    },
    clientExtensionResults: made.getClientExtensionResults(),
  };
  return call("/v1/auth/webauthn/registrations/create",
    {user_id: fields().user_id, public_key_credential: credential});
}
async function signIn() {
  const begun = await call("/v1/auth/webauthn/authentication/begin", fields());
  const options = begun.public_key_credential_request_options.publicKey;
  options.challenge = bytes(options.challenge);
  options.allowCredentials = options.allowCredentials.map(
    (c) => ({type: c.type, id: bytes(c.id)}));
  const got = await navigator.credentials.get({publicKey: options});
  const handle = got.response.userHandle;
  const credential = {
    type: got.type, id: got.id, rawId: b64url(got.rawId),
    response: {
      clientDataJSON: b64url(got.response.clientDataJSON),
      authenticatorData: b64url(got.response.authenticatorData),
      signature: b64url(got.response.signature),
      userHandle: handle && handle.byteLength ? b64url(handle) : null,
    },
    clientExtensionResults: got.getClientExtensionResults(),
  };
  return call("/v1/auth/webauthn/verify",
    {public_key_credential: credential, session_expires_in: 60});
}
function wire(id, action, done) {
  document.getElementById(id).addEventListener("click", () => {
    show("working", "");
    action().then((value) => show(done, value), (error) => show("error", String(error)));
  });
}
wire("register", register, "registered");
wire("sign_in", signIn, "signed-in");
</script>
</body></html>
"""


def blueprint() -> Blueprint:
    """The passkey page's route."""
    routes = Blueprint("moonkey_mock_passkey_page", __name__)

    @routes.get("/_mock/passkey")
    def passkey_page() -> Response:
        return Response(PAGE, mimetype="text/html")

    return routes
