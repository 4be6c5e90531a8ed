"""A playlist's turns on the wall clock, and what a display's path and token may be."""

from __future__ import annotations

import pytest

from accounts.kiosk import looks_like_token, new_token
from callbacks.kiosk import token_from_path
from commands.kiosk import playlist_position

ITEMS = [
    {"dashboard_id": 1, "seconds": 30},
    {"dashboard_id": 2, "seconds": 10},
    {"dashboard_id": 3, "seconds": 20},
]


@pytest.mark.parametrize(
    "now,position",
    [(0, 0), (29.9, 0), (30, 1), (39, 1), (40, 2), (59, 2), (60, 0), (6_000_045, 2)],
)
def test_items_take_turns_for_their_seconds_counted_from_the_epoch(now, position):
    # Every display of a playlist shows the same item at the same moment.
    assert playlist_position(ITEMS, now) == position


def test_a_single_item_is_always_on_screen():
    assert {playlist_position(ITEMS[:1], t) for t in range(0, 100, 7)} == {0}


@pytest.mark.parametrize(
    "path,token",
    [
        ("/kiosk/kiosk_abc", "kiosk_abc"),
        ("/kiosk/kiosk_abc/", "kiosk_abc"),
        ("/kiosk/", None),
        ("/dashboards/3", None),
        ("/kiosk/a/b", None),
        (None, None),
        (3, None),
    ],
)
def test_the_token_is_the_second_part_of_a_kiosk_path(path, token):
    assert token_from_path(path) == token


def test_only_token_shaped_text_is_looked_up():
    assert looks_like_token(new_token())
    assert len({new_token() for _ in range(50)}) == 50
    for not_a_token in ("", "pulse_abc", "kiosk_" + "a" * 200, "kiosk_a b", 42, None):
        assert not looks_like_token(not_a_token)
