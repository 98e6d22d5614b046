"""Supervision: indicators, alerts, summaries and pushes to health authorities.

It reads the other packages; nothing imports it (an import-linter contract). Empty until the
supervision issues build its rooms (models, schemas, service, api, views).
"""
