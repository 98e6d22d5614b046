"""Domain events within a transaction: a package says what happened; readers listen.

Dependencies point one way — nothing imports ``supervision`` or ``trace`` — yet some facts must
reach them the moment they are recorded (a life-threatening transfusion reaction raises an
alert at once, not at the next computation). So a package *publishes* an event and a reader
*subscribes* to it when the reader is imported (``create_app`` imports every package).

Handlers run synchronously, in the publisher's session and transaction: what they write is
committed or rolled back with the event itself, and a handler that fails fails the request
(no event is lost silently). Keep handlers small; heavy work belongs to the scheduler.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

Handler = Callable[..., None]

_SUBSCRIBERS: dict[str, list[Handler]] = defaultdict(list)

# The events, by name: who publishes them and with which facts.
ADVERSE_REACTION_RECORDED = "clinical.adverse_reaction_recorded"  # reaction
LOOKBACK_OPENED = "donors.lookback_opened"  # trigger, actor
DEVIATION_RECORDED = "collection.deviation_recorded"  # organisation, kind, record
# A blood centre's nightly forecast: its series projected amber or red (analytics).
SHORTAGE_PROJECTED = "analytics.shortage_projected"  # centre, series, now


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler(session=..., **facts)`` whenever ``name`` is published (once per
    handler, however often the subscribing module is imported)."""
    if handler not in _SUBSCRIBERS[name]:
        _SUBSCRIBERS[name].append(handler)


def publish(session: Session, name: str, **facts: Any) -> None:
    """Tell the subscribers of ``name`` what happened, in this transaction."""
    for handler in list(_SUBSCRIBERS.get(name, ())):
        handler(session=session, **facts)
