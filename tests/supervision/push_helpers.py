"""Receivers on loopback for the push tests: an http.server in a thread on 127.0.0.1 that
answers as a script says (fail n times, stay down, answer like DHIS2), verifies native
signatures and keeps what it accepted, once per Idempotency-Key."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from blood.supervision.formats import native


class Receiver:
    """`answer(receiver, headers, body) -> (status, body dict)` decides each answer."""

    def __init__(self, answer: Callable, secret: str | None = None):
        self.answer = answer
        self.secret = secret
        self.requests: list[tuple[dict, bytes]] = []
        self.kept: dict[str, dict] = {}  # Idempotency-Key -> document, once each
        self.duplicates = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = dict(self.headers.items())
                with receiver.lock:
                    receiver.requests.append((headers, body))
                    status, reply = receiver.answer(receiver, headers, body)
                raw = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/receive"

    def keep(self, headers: dict, body: bytes) -> tuple[int, dict]:
        """What a correct native receiver does: verify, then keep once per key."""
        if self.secret is not None:
            try:
                native.verify(headers, body, self.secret, datetime.now(UTC))
            except native.SignatureError as refusal:
                return 401, {"error": refusal.reason}
        key = headers.get(native.IDEMPOTENCY_KEY, "")
        if key in self.kept:
            self.duplicates += 1
        else:
            self.kept[key] = json.loads(body)
        return 200, {"status": "ok"}

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def fails_then_keeps(times: int):
    """Answer 503 `times` times, then verify and keep."""

    def answer(receiver: Receiver, headers, body):
        if len(receiver.requests) <= times:
            return 503, {"error": "down for maintenance"}
        return receiver.keep(headers, body)

    return answer


def always(status: int, reply: dict | None = None):
    def answer(receiver, headers, body):
        return status, reply or {"error": "unavailable"}

    return answer


def keeps(receiver, headers, body):
    return receiver.keep(headers, body)
