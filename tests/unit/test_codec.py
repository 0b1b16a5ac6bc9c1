"""The store's records as JSON and back: orjson's speed without its differences from ``json``."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from mock_server import MockConfig, create_app, state_of
from mock_server.control.inprocess import Controls
from mock_server.models import Session, User
from mock_server.store.codec import DECODED_KEPT, decode, encode, parse

TEXTS = [
    '{"a": 1, "b": [1.5, -0.0, "\\u00e9", null, true]}',
    '{"wei": 115792089237316195423570985008687907853269984665640564039457584007913129639935}',
    '{"n": -9223372036854775809}',
    '{"n": 18446744073709551616}',
    '{"id": "1234567890123456789012"}',
    '"\\udc80"',
    "1e400",
    '{"a": 1, "a": 2}',
]


@pytest.mark.parametrize("text", TEXTS)
def test_parse_reads_what_json_reads(text: str) -> None:
    assert repr(parse(text)) == repr(json.loads(text))
    assert repr(parse(text.encode())) == repr(json.loads(text.encode()))


def test_parse_gives_the_slow_parsers_error_for_what_is_not_json() -> None:
    with pytest.raises(json.JSONDecodeError, match="Expecting value"):
        parse('{"a": }')


def test_sessions_decoded_again_do_not_push_out_other_records(signing_key_file: str) -> None:
    state = state_of(create_app(MockConfig(random_seed="codec", signing_key_file=signing_key_file)))
    made = Controls(state).mint_session(email="a@example.com")
    session = state.store.get_session(state.config.app_id, made["session"]["id"])
    user = state.store.get_user(state.config.app_id, made["session"]["user_id"])
    assert session is not None
    assert user is not None
    user_text = encode(user)
    first = decode(User, user_text)
    for n in range(DECODED_KEPT + 10):  # more session texts than one model's cache keeps
        decode(Session, encode(replace(session, last_active_at=n)))
    assert decode(User, user_text) is first
