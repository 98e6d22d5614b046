"""How a trace names people: a donor only masked (the name's first character, the masked
resident ID), never in clear."""

from __future__ import annotations

from blood.donors.models import Donor


def donor_mask(donor: Donor | None) -> str:
    if donor is None:
        return ""
    name = donor.name or ""
    masked = name[:1] + "*" * max(len(name) - 1, 1) if name else "*"
    return f"{masked} {donor.resident_id_masked}"
