"""Donor registry, deferral registry and eligibility rules."""
