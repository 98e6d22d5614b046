"""Traceability: vein-to-vein trace, look-back and recall.

It reads the other packages; nothing imports it (an import-linter contract). Empty until the
traceability issue builds its rooms.
"""
