"""``Controls``: the control API as Python methods, for tests that run the fake in-process.

Every ``/_mock/`` endpoint calls one of these methods, so both ways behave the same::

    from mock_server import create_app, state_of
    from mock_server.control.inprocess import Controls

    mock = Controls(state_of(app))
    mock.advance(minutes=10)
    mock.add_fault("VerifySession", status=503, times=2)
    code = mock.outbox("user@example.com", wait=5)[0]["code"]

Arguments are validated against ``control/openapi.yaml`` like the endpoint's request, and
errors are raised as the same :class:`~mock_server.errors.ApiError` (``ValidationError`` is a
400, ``AppNotFound`` a 404, ...). Results are the JSON the endpoint answers, with list answers
unwrapped (``outbox()`` returns the ``messages`` list).
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import Any

from mock_server.call import session_fields
from mock_server.clock import ControllableClock
from mock_server.domain import balances, managed_wallets, passwords, totps
from mock_server.domain import transfers as transfer_rules
from mock_server.errors import FaultNotFound, UserNotFound, ValidationError
from mock_server.faults import ANY_APP
from mock_server.models import DEFAULT_JWT_TTL_SECONDS, App, User
from mock_server.spec import Operation
from mock_server.state import MockState
from mock_server.version import package_version

from . import apps, browse, contract_states, shortcuts, snapshot
from .document import CONTROL_SPEC, control_spec, control_validators, controls_offered
from .fault_rules import build_rule

Json = dict[str, Any]
MAX_WAIT_SECONDS = 30.0
# The clock stays within these years, so reading it can never overflow.
EARLIEST = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
LATEST = _dt.datetime(9000, 1, 1, tzinfo=_dt.UTC)


def _clean(**values: Any) -> Json:
    return {k: v for k, v in values.items() if v is not None}


def _op(operation_id: str) -> Operation:
    return control_spec().operations[operation_id]


def _iso(when: _dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


_RANGE_MESSAGE = f"The clock must stay between {_iso(EARLIEST)} and {_iso(LATEST)}"


class Controls:
    """The control API of one fake, in-process (implements :class:`~.api.ControlApi`).

    Args:
        state: the fake's state (``state_of(app)``).
    """

    def __init__(self, state: MockState) -> None:
        self.state = state

    def _body(self, operation_id: str, body: Json) -> Json:
        control_validators().check_body(_op(operation_id), body)
        return body

    def _query(self, operation_id: str, values: Json) -> Json:
        op = _op(operation_id)
        known = {p.name for p in op.parameters if p.location == "query"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValidationError(f"Unknown query parameter '{unknown[0]}'")
        control_validators().check_query(op, values)
        return values

    # --- discovery ---------------------------------------------------------------------
    def health(self) -> Json:
        """``GET /_mock/health``: version, the fake's now, the default app, the controls."""
        return {
            "status": "ok",
            "service": "moonkey-mock",
            "version": package_version(),
            **self.clock(),
            "default_app_id": self.state.config.app_id,
            "controls": list(controls_offered()),
            "pid": os.getpid(),  # which process answered (--workers N)
        }

    def openapi_document(self) -> str:
        """``GET /_mock/openapi.yaml``: the control API's OpenAPI document."""
        return CONTROL_SPEC.read_text(encoding="utf-8")

    # --- clock -------------------------------------------------------------------------
    @property
    def _clock(self) -> ControllableClock:
        return self.state.clock

    def clock(self) -> Json:
        """``GET /_mock/clock``: ``{now, now_iso, frozen}``."""
        now = self._clock.now()
        return {"now": now.timestamp(), "now_iso": _iso(now), "frozen": self._clock.frozen}

    def advance(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> Json:
        """``POST /_mock/clock/advance``: move by the sum of the amounts (negative = back)."""
        self._body("AdvanceClock", _clean(seconds=seconds, minutes=minutes, hours=hours, days=days))
        delta = _dt.timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        try:
            self._clock.shift(delta, within=(EARLIEST, LATEST))
        except (ValueError, OverflowError):
            raise ValidationError(_RANGE_MESSAGE) from None
        return self.clock()

    def set_time(self, at: float | str | _dt.datetime, *, freeze: bool | None = None) -> Json:
        """``POST /_mock/clock/set``: jump to ``at`` (unix seconds, ISO-8601 or datetime)."""
        shown = at.isoformat() if isinstance(at, _dt.datetime) else at
        self._body("SetClock", _clean(at=shown, freeze=freeze))
        self._clock.move_to(_in_range(_instant(shown)), freeze=freeze)
        return self.clock()

    def freeze(self) -> Json:
        """``POST /_mock/clock/freeze``: stop the clock where it stands."""
        self._clock.freeze()
        return self.clock()

    def unfreeze(self) -> Json:
        """``POST /_mock/clock/unfreeze``: let the clock run from where it stands."""
        self._clock.unfreeze()
        return self.clock()

    def reset_clock(self) -> Json:
        """``POST /_mock/clock/reset``: back to real time, running."""
        self._clock.reset()
        return self.clock()

    # --- faults ------------------------------------------------------------------------
    def add_fault(
        self, operation_id: str | None = None, *, app_id: str | None = None, **rule: Any
    ) -> Json:
        """``POST /_mock/faults``: add a rule; returns it with its ``id``.

        Rule fields (all optional): ``method`` + ``path`` (instead of ``operation_id``),
        ``match``, ``action`` (error/delay/drop/hang), ``status``, ``error_type``, ``message``,
        ``retry_after``, ``delay_ms``, ``delay_range_ms``, ``hang_seconds``, ``times``,
        ``probability``. ``app_id``: the default app unless given; ``"*"`` = any app.
        """
        body = self._body("AddFault", _clean(operation_id=operation_id, app_id=app_id, **rule))
        return self._add_rule(body)

    def add_rate_limit(
        self,
        limit: int,
        window_seconds: float,
        operation_id: str | None = None,
        *,
        app_id: str | None = None,
        **target: Any,
    ) -> Json:
        """``POST /_mock/faults/rate_limit``: 429 after ``limit`` calls per sliding window."""
        values = _clean(operation_id=operation_id, app_id=app_id, **target)
        body = self._body(
            "AddRateLimit", {"limit": limit, "window_seconds": window_seconds, **values}
        )
        return self._add_rule(body)

    def _add_rule(self, body: Json) -> Json:
        app_id = body.get("app_id")
        owner = ANY_APP if app_id == ANY_APP else apps.resolve(self.state, app_id).app_id
        rule = build_rule(self.state, body, rule_id=self.state.ids.new("fault_"), app_id=owner)
        return self.state.faults.add(rule).to_json()

    def faults(self, app_id: str | None = None) -> list[Json]:
        """``GET /_mock/faults``: the active rules (every app's unless ``app_id``)."""
        self._query("ListFaults", _clean(app_id=app_id))
        return self.state.faults.views(apps.scope(self.state, app_id))

    def delete_fault(self, fault_id: str) -> Json:
        """``DELETE /_mock/faults/<id>``: remove one rule (404 ``fault_not_found``)."""
        if self.state.faults.remove(fault_id) is None:
            raise FaultNotFound(f"No fault rule '{fault_id}'")
        return {"message": f"Deleted fault {fault_id}", "deleted": 1}

    def clear_faults(self, app_id: str | None = None) -> Json:
        """``DELETE /_mock/faults``: remove every rule (or one app's) and release held calls."""
        self._query("ClearFaults", _clean(app_id=app_id))
        return _deleted(self.state.faults.clear(apps.scope(self.state, app_id)), "fault rules")

    # --- outbox ------------------------------------------------------------------------
    def outbox(
        self,
        to: str | None = None,
        *,
        kind: str | None = None,
        app_id: str | None = None,
        wait: float | None = None,
        after: int | None = None,
    ) -> list[Json]:
        """``GET /_mock/outbox``: messages "sent", newest first.

        With ``wait`` (seconds, real time, at most 30) it blocks until a matching message
        exists, or until more than ``after`` match.
        """
        self._query("ListOutbox", _clean(to=to, kind=kind, app_id=app_id, wait=wait, after=after))
        scope = apps.scope(self.state, app_id)
        if wait:
            found = self.state.outbox.wait(
                scope, to, timeout=min(wait, MAX_WAIT_SECONDS), newer_than=after or 0, kind=kind
            )
        else:
            found = self.state.outbox.messages(scope, to, kind)
        return [m.to_json() for m in found]

    def clear_outbox(self, app_id: str | None = None) -> Json:
        """``DELETE /_mock/outbox``: forget every message (or one app's)."""
        self._query("ClearOutbox", _clean(app_id=app_id))
        scope = apps.scope(self.state, app_id)
        count = len(self.state.outbox.messages(scope))
        self.state.outbox.clear(scope)
        return _deleted(count, "messages")

    # --- journal -----------------------------------------------------------------------
    def requests(self, *, limit: int | None = None, **filters: Any) -> list[Json]:
        """``GET /_mock/requests``: journal entries, oldest first (``limit``: the newest N).

        Filters: ``operation_id``, ``status``, ``since``, ``until`` (unix seconds of the
        fake's clock), ``injected``, ``app_id`` (every app's unless given).
        """
        entries = self._entries("ListRequests", filters, limit)
        found = entries[-limit:] if limit else entries
        return [e.to_json() for e in found]

    def request_count(self, **filters: Any) -> int:
        """``GET /_mock/requests?count=true``: how many entries match the filters."""
        return len(self._entries("ListRequests", filters, None))

    def _entries(self, operation_id: str, filters: Json, limit: int | None) -> list[Any]:
        values = self._query(operation_id, _clean(limit=limit, **filters))
        injected = values.pop("injected", None)
        values.pop("limit", None)
        values.pop("count", None)
        values["app_id"] = apps.scope(self.state, values.get("app_id"))
        entries = self.state.journal.entries(**values)
        return [e for e in entries if injected is None or e.injected is injected]

    def clear_requests(self, app_id: str | None = None) -> Json:
        """``DELETE /_mock/requests``: empty the journal (or one app's)."""
        self._query("ClearRequests", _clean(app_id=app_id))
        scope = apps.scope(self.state, app_id)
        count = len(self.state.journal.entries(app_id=scope))
        self.state.journal.clear(scope)
        return _deleted(count, "journal entries")

    # --- reset -------------------------------------------------------------------------
    def reset(self, app_id: str | None = None, *, keep_clock: bool = False) -> Json:
        """``POST /_mock/reset``: all state (see the control API document), or one app's."""
        self._body("Reset", _clean(app_id=app_id, keep_clock=keep_clock))
        state = self.state
        if app_id is not None:
            app = apps.resolve(state, app_id)
            state.store.reset(app.app_id)
            apps.forget(state, app.app_id)
            if state.seed is not None:
                snapshot.reseed_app(state, state.seed, app)
            return {
                "message": f"Reset app {app.app_id}",
                "app_id": app.app_id,
                "clock": self.clock(),
            }
        state.faults.clear()
        state.store.reset()
        apps.restore_startup(state)
        state.outbox.clear()
        state.journal.clear()
        if not keep_clock:
            self._clock.reset()
        if state.seed is not None:
            snapshot.apply_seed(state, state.seed)
        return {"message": "Reset all state", "app_id": None, "clock": self.clock()}

    # --- apps --------------------------------------------------------------------------
    def create_app(self, **settings: Any) -> Json:
        """``POST /_mock/apps``: a fresh app (``name``, ``default_session_minutes``, ...)."""
        return apps.create(self.state, self._body("CreateApp", settings)).to_json()

    def apps(self) -> list[Json]:
        """``GET /_mock/apps``: every app, oldest first."""
        return [a.to_json() for a in self.state.store.apps()]

    def get_app(self, app_id: str) -> Json:
        """``GET /_mock/apps/<id>``."""
        return apps.resolve(self.state, app_id).to_json()

    def update_app(self, app_id: str, **settings: Any) -> Json:
        """``PATCH /_mock/apps/<id>``: change settings."""
        return apps.update(self.state, app_id, self._body("UpdateApp", settings)).to_json()

    def delete_app(self, app_id: str) -> Json:
        """``DELETE /_mock/apps/<id>`` (the default app is refused with a 400)."""
        app = apps.delete(self.state, app_id)
        return {"message": f"Deleted app {app.app_id}", "deleted": 1}

    # --- keys --------------------------------------------------------------------------
    def rotate_keys(self) -> Json:
        """``POST /_mock/keys/rotate``: ``{kid, keys}`` (the new key id and the JWKS)."""
        ttl = max(
            (a.jwt_ttl_seconds for a in self.state.store.apps()), default=DEFAULT_JWT_TTL_SECONDS
        )
        key = self.state.keys.rotate(self._clock.now(), ttl)
        return {"kid": key.kid, **self.state.keys.jwks(self.state.now())}

    # --- state -------------------------------------------------------------------------
    def export_state(self, app_id: str | None = None) -> Json:
        """``GET /_mock/state``: all state (or one app's) as a JSON document."""
        self._query("ExportState", _clean(app_id=app_id))
        return snapshot.export_state(self.state, app_id)

    def import_state(self, document: Json) -> Json:
        """``POST /_mock/state``: load an export; each app it lists is replaced."""
        return snapshot.import_state(self.state, self._body("ImportState", document))

    def seed(self, document: Json) -> Json:
        """``POST /_mock/seed``: add apps, users and sessions in the seed format."""
        return snapshot.apply_seed(self.state, self._body("SeedState", document))

    # --- shortcuts ---------------------------------------------------------------------
    def mint_session(
        self,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        session_expires_in: int | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/sessions``: ``{session_token, session_jwt, session, user}``."""
        named = _clean(user_id=user_id, email=email, phone_number=phone_number)
        minutes = session_expires_in
        self._body("MintSession", _clean(**named, session_expires_in=minutes, app_id=app_id))
        app = apps.resolve(self.state, app_id)
        user = shortcuts.user_for(self.state, app, **named)
        issued, user = shortcuts.login(self.state, app, user, minutes=minutes)
        return {**session_fields(issued), "user": user.to_json()}

    def mint_oauth_token(
        self,
        provider: str,
        email: str,
        *,
        name: str | None = None,
        provider_subject: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/oauth/tokens``: a token for VerifyOAuthToken, as after consent."""
        values = _clean(name=name, provider_subject=provider_subject, app_id=app_id)
        self._body("MintOauthToken", {"provider": provider, "email": email, **values})
        app = apps.resolve(self.state, app_id)
        return shortcuts.oauth_token(
            self.state,
            app,
            provider=provider,
            email=email,
            name=name or "",
            provider_subject=provider_subject,
        )

    # --- totp/passwords ----------------------------------------------------------------
    def totp_code(
        self,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/totps/code``: the code a user's authenticator app shows now.

        On the fake's clock, so it follows time travel; also the secret and the seconds the
        code has left in its 30-second step.
        """
        named = _clean(user_id=user_id, email=email, phone_number=phone_number)
        self._body("GetTotpCode", _clean(**named, app_id=app_id))
        app = apps.resolve(self.state, app_id)
        user = _named_user(self.state, app, named)
        totp, code, step, left = totps.current_code(self.state, app, user.user_id)
        return {
            "user_id": user.user_id,
            "totp_id": totp.id,
            "verified": totp.verified,
            "code": code,
            "step": step,
            "valid_for_seconds": left,
            "secret": totp.secret,
        }

    def set_password(
        self,
        password: str,
        *,
        user_id: str | None = None,
        email: str | None = None,
        phone_number: str | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/passwords``: set a user's password without a session (no strength rule)."""
        named = _clean(user_id=user_id, email=email, phone_number=phone_number)
        self._body("SetPassword", _clean(**named, password=password, app_id=app_id))
        app = apps.resolve(self.state, app_id)
        user = _named_user(self.state, app, named)
        user = passwords.set_password(self.state, app, user, password, check_strength=False)
        return {"user_id": user.user_id, "user": user.to_json()}

    # --- managed wallets ---------------------------------------------------------------
    def set_balance(
        self, wallet_id: str, token_symbol: str, balance: str, *, app_id: str | None = None
    ) -> Json:
        """``POST /_mock/wallets/balance``: set what GetWalletBalance answers (M14)."""
        body = {"wallet_id": wallet_id, "token_symbol": token_symbol, "balance": balance}
        self._body("SetWalletBalance", _clean(**body, app_id=app_id))
        app = apps.resolve(self.state, app_id)
        _, wallet = managed_wallets.find(self.state, app, wallet_id)
        symbol = balances.canonical_token(wallet, token_symbol)
        amount = balances.parse_amount(balance)
        balances.set_balance(self.state, app, wallet, symbol, amount)
        return {
            "wallet_id": wallet.id,
            "token_symbol": symbol,
            "balance": balances.format_amount(amount),
        }

    # --- contracts ---------------------------------------------------------------------
    def contract_state(
        self,
        state: str | None = None,
        *,
        params: Json | None = None,
        action: str = "setup",
        states: list[str] | None = None,
        app_id: str | None = None,
    ) -> Json:
        """``POST /_mock/contract/states``: Pact's state change; the values for generators."""
        body = _clean(state=state, params=params, action=action, states=states)
        app = apps.resolve(self.state, app_id)
        provided: Json = {}
        for name, values, act in contract_states.read_change(body, {}):
            provided.update(contract_states.change(self.state, app, name, values, act))
        return provided

    # --- browsing (the dashboard's lists) ----------------------------------------------
    def users(
        self, q: str | None = None, *, app_id: str | None = None, limit: int | None = None
    ) -> Json:
        """``GET /_mock/users``: ``{users, total}``, newest first, matching ``q`` if given."""
        self._query("ListAppUsers", _clean(q=q, app_id=app_id, limit=limit))
        app = apps.resolve(self.state, app_id)
        return browse.users(self.state, app, q, limit or 100)

    def user(self, user_id: str, *, app_id: str | None = None) -> Json:
        """``GET /_mock/users/<id>``: ``{user, sessions}`` (404 ``user_not_found``)."""
        self._query("GetAppUser", _clean(app_id=app_id))
        return browse.user(self.state, apps.resolve(self.state, app_id), user_id)

    def delete_user(self, user_id: str, *, app_id: str | None = None) -> Json:
        """``DELETE /_mock/users/<id>``: the user, its sessions and passcodes."""
        self._query("DeleteAppUser", _clean(app_id=app_id))
        gone = browse.delete_user(self.state, apps.resolve(self.state, app_id), user_id)
        return {"message": f"Deleted user {gone.user_id}", "deleted": 1}

    def sessions(self, app_id: str | None = None, *, limit: int | None = None) -> Json:
        """``GET /_mock/sessions``: ``{sessions, total}``, the soonest to expire first."""
        self._query("ListAppSessions", _clean(app_id=app_id, limit=limit))
        return browse.sessions(self.state, apps.resolve(self.state, app_id), limit or 500)

    def revoke_session(self, session_id: str, *, app_id: str | None = None) -> Json:
        """``DELETE /_mock/sessions/<id>`` (404 ``session_not_found``)."""
        self._query("RevokeAppSession", _clean(app_id=app_id))
        gone = browse.revoke(self.state, apps.resolve(self.state, app_id), session_id)
        return {"message": f"Deleted session {gone.session_id}", "deleted": 1}

    def extend_session(self, session_id: str, minutes: int, *, app_id: str | None = None) -> Json:
        """``POST /_mock/sessions/<id>/extend``: expires ``minutes`` from the fake's now."""
        self._body("ExtendAppSession", _clean(minutes=minutes, app_id=app_id))
        app = apps.resolve(self.state, app_id)
        return browse.extend(self.state, app, session_id, minutes)

    # --- transfers (issue 26) ------------------------------------------------------------
    def transfers(self, *, app_id: str | None = None, user_id: str | None = None) -> Json:
        """``GET /_mock/transfers``: every status, newest first (pending ones settled if due)."""
        self._query("ListAppTransfers", _clean(app_id=app_id, user_id=user_id))
        app = apps.resolve(self.state, app_id)
        found = transfer_rules.settled_all(self.state, app)
        if user_id is not None:
            found = [t for t in found if t.user_id == user_id]
        return {"transfers": [browse.transfer_view(t) for t in found], "total": len(found)}

    def fail_transfer(
        self, transfer_id: str, *, reason: str | None = None, app_id: str | None = None
    ) -> Json:
        """``POST /_mock/transfers/<id>/fail``: a pending transfer fails now, funds back."""
        self._body("FailTransfer", _clean(reason=reason, app_id=app_id))
        app = apps.resolve(self.state, app_id)
        failed = transfer_rules.fail(self.state, app, transfer_id, reason or "")
        return browse.transfer_view(failed)


def _named_user(state: MockState, app: App, named: Json) -> User:
    """The user a control call names by id, email or phone number (404 when none)."""
    user = shortcuts.find_user(state, app, **named)
    if user is None:
        shown = ", ".join(f"{k} '{v}'" for k, v in named.items())
        raise UserNotFound(f"No user with {shown} in app {app.app_id}")
    return user


def _deleted(count: int, what: str) -> Json:
    return {"message": f"Deleted {count} {what}", "deleted": count}


def _instant(at: float | str) -> _dt.datetime:
    """A validated ``at``: unix seconds or an ISO-8601 instant (no zone = UTC)."""
    if isinstance(at, str):
        try:
            when = _dt.datetime.fromisoformat(at.strip())
        except ValueError:
            raise ValidationError(
                f"Invalid body field 'at': '{at}' is not an ISO-8601 instant"
            ) from None
        return when if when.tzinfo else when.replace(tzinfo=_dt.UTC)
    return _dt.datetime.fromtimestamp(float(at), _dt.UTC)


def _in_range(when: _dt.datetime) -> _dt.datetime:
    if not EARLIEST <= when < LATEST:
        raise ValidationError(_RANGE_MESSAGE)
    return when
