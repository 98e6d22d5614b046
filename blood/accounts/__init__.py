"""Organisations, jurisdictions, users, roles, API tokens, login and scoping."""
