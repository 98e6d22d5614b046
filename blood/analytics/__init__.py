"""Analytics: demand forecasts, projected shortages, donor retention and recall lists.

It reads the other packages; nothing imports it (an import-linter contract), and it does not
import `supervision` or `trace` either: what supervision needs from it (a projected shortage to
alert on) travels as a domain event (`blood.events`).

Rooms, as in every feature: `models/`, `service/`, `views/` (one Blueprint), `templates/
analytics/`; two sub-domains in each — `forecast` (demand forecast, backtest, projected days
of supply) and `recruitment` (retention cohorts, lapsed donors, recall lists, contact log).
"""
