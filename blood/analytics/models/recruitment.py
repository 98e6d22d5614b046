"""Tables of the recruitment sub-domain."""

__all__: list[str] = []
