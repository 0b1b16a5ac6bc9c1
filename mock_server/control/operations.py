"""One function per control operation, named after its snake_case operationId.

``control/openapi.yaml``'s operations are paired with the public functions of this module at
start-up by :func:`mock_server.router.pair`, as the API's are with ``handlers/`` (a missing or
extra function stops the start). Each gets the :class:`Controls` and the validated
:class:`ControlCall`, and returns the JSON answer (or a :class:`~mock_server.call.Raw` one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_server.call import Raw
from mock_server.control.inprocess import Controls
from mock_server.errors import ValidationError

Json = dict[str, Any]


@dataclass(frozen=True)
class ControlCall:
    """A validated control request."""

    body: Json
    query: Json
    path: dict[str, str]

    def scoped(self) -> Json:
        """The body with ``app_id`` from the query when it came there (they must agree)."""
        app_id = self.query.get("app_id")
        if app_id is None:
            return dict(self.body)
        if self.body.get("app_id", app_id) != app_id:
            raise ValidationError("app_id differs between the query and the body")
        return {**self.body, "app_id": app_id}


def get_health(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/health."""
    return c.health()


def get_control_spec(c: Controls, r: ControlCall) -> Raw:
    """GET /_mock/openapi.yaml."""
    return Raw(c.openapi_document().encode("utf-8"), "application/yaml")


def get_clock(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/clock."""
    return c.clock()


def advance_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/advance."""
    return c.advance(**r.body)


def set_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/set."""
    return c.set_time(**r.body)


def freeze_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/freeze."""
    return c.freeze()


def unfreeze_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/unfreeze."""
    return c.unfreeze()


def reset_clock(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/clock/reset."""
    return c.reset_clock()


def add_fault(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/faults."""
    return c.add_fault(**r.scoped())


def list_faults(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/faults."""
    return {"faults": c.faults(**r.query)}


def clear_faults(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/faults."""
    return c.clear_faults(**r.query)


def add_rate_limit(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/faults/rate_limit."""
    return c.add_rate_limit(**r.scoped())


def delete_fault(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/faults/<fault_id>."""
    return c.delete_fault(r.path["fault_id"])


def list_outbox(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/outbox."""
    return {"messages": c.outbox(**r.query)}


def clear_outbox(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/outbox."""
    return c.clear_outbox(**r.query)


def list_requests(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/requests (``count=true``: ``{"count": N}``)."""
    query = dict(r.query)
    if query.pop("count", False):
        query.pop("limit", None)
        return {"count": c.request_count(**query)}
    return {"requests": c.requests(**query)}


def clear_requests(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/requests."""
    return c.clear_requests(**r.query)


def reset(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/reset."""
    return c.reset(**r.scoped())


def create_app(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/apps."""
    return c.create_app(**r.body)


def list_apps(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/apps."""
    return {"apps": c.apps()}


def get_app(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/apps/<app_id>."""
    return c.get_app(r.path["app_id"])


def update_app(c: Controls, r: ControlCall) -> Json:
    """PATCH /_mock/apps/<app_id>."""
    return c.update_app(r.path["app_id"], **r.body)


def delete_app(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/apps/<app_id>."""
    return c.delete_app(r.path["app_id"])


def rotate_keys(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/keys/rotate."""
    return c.rotate_keys()


def export_state(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/state."""
    return c.export_state(**r.query)


def import_state(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/state."""
    return c.import_state(r.body)


def seed_state(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/seed."""
    return c.seed(r.body)


def mint_session(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/sessions."""
    return c.mint_session(**r.scoped())


def mint_oauth_token(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/oauth/tokens."""
    return c.mint_oauth_token(**r.scoped())


def get_totp_code(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/totps/code."""
    return c.totp_code(**r.scoped())


def set_password(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/passwords."""
    return c.set_password(**r.scoped())


def set_wallet_balance(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/wallets/balance."""
    return c.set_balance(**r.scoped())


def change_contract_state(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/contract/states (Pact's state-change body, or its query form)."""
    body = r.scoped() if r.body else dict(r.query)
    app_id = body.pop("app_id", None) or r.query.get("app_id")
    known = {k: body[k] for k in ("state", "params", "action", "states") if k in body}
    return c.contract_state(**known, app_id=app_id)


def list_app_users(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/users."""
    return c.users(**r.query)


def get_app_user(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/users/<user_id>."""
    return c.user(r.path["user_id"], **r.query)


def delete_app_user(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/users/<user_id>."""
    return c.delete_user(r.path["user_id"], **r.query)


def list_app_sessions(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/sessions."""
    return c.sessions(**r.query)


def revoke_app_session(c: Controls, r: ControlCall) -> Json:
    """DELETE /_mock/sessions/<session_id>."""
    return c.revoke_session(r.path["session_id"], **r.query)


def extend_app_session(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/sessions/<session_id>/extend."""
    body = r.scoped()
    return c.extend_session(r.path["session_id"], body.pop("minutes"), **body)


def list_app_transfers(c: Controls, r: ControlCall) -> Json:
    """GET /_mock/transfers."""
    return c.transfers(**r.query)


def fail_transfer(c: Controls, r: ControlCall) -> Json:
    """POST /_mock/transfers/<transfer_id>/fail."""
    return c.fail_transfer(r.path["transfer_id"], **r.scoped())
