"""Handlers of the ``transfers`` tag (Reference-more §9; decisions M40-M52)."""

from __future__ import annotations

from mock_server.call import Call, Reply
from mock_server.domain import transfers


def create_transfer(call: Call) -> Reply:
    """POST /v1/transfers/create: an ``unconfirmed`` Transfer (expires in 120 s)."""
    return Reply(transfers.create(call.state, call.app, call.body).to_json())


def confirm_transfer(call: Call) -> Reply:
    """POST /v1/transfers/{transfer_id}/confirm: ``pending`` with its tx hash (M47)."""
    found = transfers.confirm(call.state, call.app, call.path["transfer_id"], call.body)
    return Reply(found.to_json())


def get_transfer(call: Call) -> Reply:
    """GET /v1/transfers/{transfer_id}: the Transfer, settled if due (M48)."""
    return Reply(transfers.get(call.state, call.app, call.path["transfer_id"]).to_json())


def list_transfer(call: Call) -> Reply:
    """GET /v1/transfers/list: executed transfers, newest first, offset paging (M50)."""
    page = transfers.listing(call.state, call.app, call.query)
    return Reply(
        {
            "transfers": [t.to_json() for t in page.transfers],
            "count": page.count,
            "offset": page.offset,
            "limit": page.limit,
        }
    )
