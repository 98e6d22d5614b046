"""The recruitment pages (routes on `blood.analytics.views.bp`)."""
