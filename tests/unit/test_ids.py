"""Identifier formats (D7) and seeded determinism."""

from __future__ import annotations

import re

from mock_server.ids import Ids


def test_ids_formats_match_reference() -> None:
    ids = Ids()
    assert re.fullmatch(r"user_[0-9A-Za-z]{27}", ids.new("user_"))
    assert re.fullmatch(r"[0-9A-Za-z]{64}", ids.session_token())
    assert re.fullmatch(r"[0-9A-Za-z]{48}", ids.magic_token())
    assert re.fullmatch(r"[0-9]{6}", ids.otp(6))


def test_ids_seeded_sequences_repeat() -> None:
    first, second = Ids("x"), Ids("x")
    assert [first.new("sess_") for _ in range(3)] == [second.new("sess_") for _ in range(3)]
    assert Ids("y").new("sess_") != Ids("x").new("sess_")
