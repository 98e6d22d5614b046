"""Plasma station workflow: visits, collections, lab results, quarantine, shipments."""
