"""The forecast's methods and reasons in the reader's words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

METHOD_WORDS = {
    "ets": _l("Exponential smoothing (weekly seasonality)"),
    "seasonal_naive": _l("Same as last week (baseline)"),
}
NOTE_WORDS = {
    "": "",
    "baseline_better": _l(
        "The model did not beat the baseline in the backtest: the baseline is shown."
    ),
    "short_history": _l("Less than eight weeks of history: the baseline is shown."),
    "sparse_history": _l("Issues on too few days for a model: the baseline is shown."),
    "model_failed": _l("The model could not be fitted: the baseline is shown."),
}
