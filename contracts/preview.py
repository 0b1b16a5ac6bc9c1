"""What a journal preview still tells of an answer the journal cut short.

The journal keeps bodies over 4 KiB as a preview of their first characters (a step-up's answer
is one). Its complete top-level strings and the session claim of the JWT, even cut, are enough
to follow the session; nothing else is read from it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

FACTOR = re.compile(r'\{"delivery_channel":"([^"]+)","type":"([^"]+)"')
PREVIEW_FIELD = re.compile(r'"(session_token|session_jwt|user_id|totp_id)":"([^"]+)"')


def readable(answer: Any) -> Any:
    """An answer, or what a truncated journal preview still tells of it.

    The journal keeps bodies over 4 KiB as a preview of their first characters; a step-up's
    answer is one. The preview's complete top-level strings (token, JWT, user id) and the
    JWT's ``session`` claim (its factors and expiry) are enough to follow the session.
    """
    if not (isinstance(answer, dict) and answer.get("truncated") is True):
        return answer
    found = dict(PREVIEW_FIELD.findall(str(answer.get("preview", ""))))
    text = str(answer.get("preview", ""))
    found = dict(PREVIEW_FIELD.findall(text))
    claims = _claims(found.get("session_jwt", ""))
    session = claims.get("session")
    if not isinstance(session, dict):
        session = _partial_session(text)
    if session and found.get("session_token"):
        found["session"] = {**session, "session_token": found["session_token"]}
    return found


def _partial_session(preview: str) -> dict[str, Any]:
    """The session id, expiry and factors a JWT cut short by the preview still shows."""
    start = preview.find('"session_jwt":"')
    if start < 0:
        return {}
    payload = preview[start + 15 :].split(".")
    if len(payload) < 2:
        return {}
    body = payload[1][: len(payload[1]) // 4 * 4]
    try:
        text = base64.urlsafe_b64decode(body).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return {}
    session: dict[str, Any] = {}
    if found := re.search(r'"session":\{"id":"(sess_[A-Za-z0-9]+)"', text):
        session["id"] = found.group(1)
    if found := re.search(r'"expires_at":(\d+)', text):
        session["expires_at"] = int(found.group(1))
    session["factors"] = [
        {"delivery_channel": channel, "type": kind} for channel, kind in FACTOR.findall(text)
    ]
    return session if "id" in session else {}


def _claims(jwt: str) -> dict[str, Any]:
    """A JWT's payload, read without checking it (only to learn the session it names)."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}
