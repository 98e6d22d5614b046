"""The recruitment part of the analytics demo."""

from __future__ import annotations

from sqlmodel import Session


def load(session: Session) -> None:
    """Nothing yet: the recruitment demo is written with its sub-domain."""
