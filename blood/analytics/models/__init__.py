"""The analytics tables: forecasts and projected shortages (`forecast`), recall campaigns and
the donor contact log (`recruitment`)."""

from blood.analytics.models.forecast import *  # noqa: F403
from blood.analytics.models.recruitment import *  # noqa: F403
