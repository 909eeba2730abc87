"""Korean time (bot.clock): naive datetimes are UTC, KST is nine hours ahead."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import KST, to_kst


def test_kst_offset():
    assert KST.utcoffset(None) == timedelta(hours=9)


def test_to_kst_treats_naive_as_utc():
    assert to_kst(datetime(2026, 11, 25, 15, 30)) == datetime(2026, 11, 26, 0, 30, tzinfo=KST)
    aware = datetime(2026, 11, 26, 0, 30, tzinfo=KST)
    assert to_kst(aware) == aware
