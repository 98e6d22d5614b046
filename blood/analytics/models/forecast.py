"""Tables of the forecast sub-domain: one row per forecast series made (a centre's component
and group, on one night), and its days ahead with the projected stock."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow

__all__ = ["ForecastDay", "ForecastSeries"]


class ForecastSeries(SQLModel, table=True):
    """A blood centre's forecast of daily issues of one component and ABO/RhD group, made on
    ``made_at``: the method used (the model only where its backtest beat the seasonal-naive
    baseline), the backtest's figures, the stock it starts from and the first days the
    projected stock crosses amber and red."""

    __tablename__ = "analytics_forecast_series"
    __table_args__ = (
        sa.Index("ix_analytics_forecast_series_centre_made", "centre_id", "made_at"),
        sa.CheckConstraint(
            "method IN ('ets', 'seasonal_naive')", name="ck_analytics_forecast_method"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    centre_id: int = Field(foreign_key="organisation.id")
    made_at: datetime = Field(default_factory=utcnow)
    component: str = Field(max_length=16)
    abo: str = Field(max_length=2)
    rhd: str = Field(max_length=1)
    method: str = Field(max_length=16)
    note: str = Field(default="", max_length=32)  # why the baseline, when it is used
    first_day: date
    history_days: int
    holiday_factor: float = 1.0
    origins: int = 0
    mase_model: float | None = None
    mase_baseline: float | None = None
    mape_model: float | None = None
    mape_baseline: float | None = None
    on_hand: int = 0
    in_testing: int = 0
    first_amber: date | None = None
    first_red: date | None = None


class ForecastDay(SQLModel, table=True):
    """One day of a forecast: issues expected (mean and 95 % interval), the units projected
    to be held at the end of the day, their days of supply and its phase."""

    __tablename__ = "analytics_forecast_day"

    series_id: int = Field(foreign_key="analytics_forecast_series.id", primary_key=True)
    day: date = Field(primary_key=True)
    mean: float
    lower: float
    upper: float
    projected_units: float
    days_of_supply: float | None = None
    phase: str = Field(max_length=12)
