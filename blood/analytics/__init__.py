"""Analytics: demand forecasts, projected shortages, donor retention and recall lists.

It reads the other packages; nothing imports it (an import-linter contract). Empty until the
analytics issue builds its rooms.
"""
