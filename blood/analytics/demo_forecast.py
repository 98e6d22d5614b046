"""The forecast part of the analytics demo: the night's forecast, made once over the demo's
weeks of issues, so the forecast page shows something the moment ``make run`` starts (the
scheduler makes the next one at night)."""

from __future__ import annotations

from sqlmodel import Session

from blood.accounts.scoping import Actor


def load(session: Session) -> None:
    from blood.analytics.service.forecast import run_forecasts

    run_forecasts(session=session, actor=Actor.system("demo"))
