"""The in-process memo keeps the most recently used entries only."""

from __future__ import annotations

from core.cache import LocalMemo


def test_the_least_recently_used_entry_goes_first():
    memo = LocalMemo(max_entries=2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "b" is now the least recently used
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)
    assert len(memo) == 2
