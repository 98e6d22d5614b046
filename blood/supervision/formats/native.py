"""The native push: the summary document as JSON, signed.

Headers of every push (see docs/supervision.md, "The signature"):

- ``Content-Type: application/json``
- ``Idempotency-Key``: the summary's uid — the same for every attempt, so the receiver keeps
  a summary once however often it arrives;
- ``X-Blood-Sender``: who sends (the name the receiver knows the sender's secret by);
- ``X-Blood-Timestamp``: seconds since the epoch, as a decimal integer;
- ``X-Blood-Signature``: ``sha256=`` and the lowercase hex HMAC-SHA256, keyed with the shared
  secret (its UTF-8 bytes), of the bytes ``<timestamp>.<body>`` (the timestamp header's
  text, one full stop, the exact body bytes).

A receiver recomputes the signature over the body it received, compares in constant time,
and refuses a timestamp more than five minutes from its own clock (a replayed old request).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime

from blood.supervision.formats.common import Outcome, Outgoing

IDEMPOTENCY_KEY = "Idempotency-Key"
SENDER = "X-Blood-Sender"
TIMESTAMP = "X-Blood-Timestamp"
SIGNATURE = "X-Blood-Signature"
SCHEME = "sha256="
WINDOW_SECONDS = 300  # a timestamp further than this from the receiver's clock is refused


class SignatureError(ValueError):
    """The request is not signed by the secret, or too old or too new. ``reason`` says
    which, for the receiver's log (the sender is told only "unauthorised")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def canonical(document: Mapping) -> bytes:
    """The body: compact JSON, keys sorted, UTF-8 (any bytes verify; these are stable)."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def signed_headers(*, secret: str, sender: str, key: str, body: bytes, now: datetime) -> dict:
    timestamp = str(int(now.timestamp()))
    return {
        "Content-Type": "application/json",
        IDEMPOTENCY_KEY: key,
        SENDER: sender,
        TIMESTAMP: timestamp,
        SIGNATURE: signature(secret, timestamp, body),
    }


def build(
    *, url: str, document: Mapping, key: str, sender: str, secret: str, now: datetime
) -> Outgoing:
    body = canonical(document)
    return Outgoing(
        url, body, signed_headers(secret=secret, sender=sender, key=key, body=body, now=now)
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict with other capitals
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def verify(headers: Mapping[str, str], body: bytes, secret: str, now: datetime) -> None:
    """Raise ``SignatureError`` unless `body` is signed with `secret` at a timestamp within
    five minutes of `now`."""
    timestamp = _header(headers, TIMESTAMP) or ""
    given = _header(headers, SIGNATURE) or ""
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("missing or malformed timestamp")
    if not given.startswith(SCHEME):
        raise SignatureError("missing or malformed signature")
    if not hmac.compare_digest(given.encode(), signature(secret, timestamp, body).encode()):
        raise SignatureError("bad signature")
    if abs(now.timestamp() - int(timestamp)) > WINDOW_SECONDS:
        raise SignatureError("timestamp outside the window")


def read_answer(status: int, body: str) -> Outcome:
    """Any 2xx is delivered (a receiver that already had the summary answers 2xx too)."""
    if 200 <= status < 300:
        return Outcome(True, status, body=body[:2000])
    return Outcome(False, status, f"HTTP {status}: {body[:300]}", body=body[:2000])
