"""The analytics part of the demo: forecasts first (a recall list follows a projected
shortage), then the recruitment story."""

from __future__ import annotations

from sqlmodel import Session

from blood.analytics import demo_forecast, demo_recruitment


def load_analytics_demo(session: Session) -> None:
    demo_forecast.load(session)
    demo_recruitment.load(session)
