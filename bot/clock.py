"""Korean time: the shop's calendar days and the CS desk's hours are counted in KST.

The database stores naive UTC datetimes; `to_kst` turns them (or aware ones) into KST.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

KST = timezone(timedelta(hours=9))


def to_kst(moment: datetime) -> datetime:
    """Naive datetimes are UTC (as stored in the database)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(KST)
