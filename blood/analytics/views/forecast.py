"""The forecast pages (routes on `blood.analytics.views.bp`)."""
