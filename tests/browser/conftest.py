"""Browser tests share one app (and so one log-in rate limit per address, 127.0.0.1): each
test starts with the limit's counters cleared, as a new minute would, so that the number of
browser tests never decides whether a log-in is throttled."""

from __future__ import annotations

import pytest

from blood.extensions import limiter


@pytest.fixture(autouse=True)
def _fresh_log_in_limit():
    limiter.reset()
    yield
