"""Tables of the forecast sub-domain."""

__all__: list[str] = []
