"""What every push format shares: the request to send and what came of it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outgoing:
    """One HTTP request: POST `body` to `url` with `headers`."""

    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    """What the receiver answered: delivered or not, the HTTP status (None when no answer
    came), an error in words, and the import conflicts it reported (DHIS2)."""

    delivered: bool
    status: int | None = None
    error: str | None = None
    conflicts: list[dict] = field(default_factory=list)
    body: str = ""  # the start of the answer, to show on the test-delivery page
