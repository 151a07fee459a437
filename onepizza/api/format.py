"""How values look in JSON: ISO-8601 UTC times, money as 4-decimal strings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.4f}"


def iso_ms(value: datetime | None) -> str | None:
    """ISO-8601 UTC with milliseconds, as the spec shows scheduledAt."""
    if value is None:
        return None
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)
