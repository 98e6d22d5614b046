"""Where other packages plug into the donor registry's pages, so this package imports none of
them (the plasma station adds a donor's visits and units to the donor page).

Like ``blood.donors.service.HISTORY_SOURCES``, the hooks are filled when the contributing
package is imported: ``blood.plasma.views`` appends its section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DonorPageSection:
    """A part of the donor page: ``template`` is included with ``section`` set to what
    ``load(session=, actor=, donor=)`` returns (a service read function)."""

    template: str
    load: Callable[..., Any]


DONOR_PAGE_SECTIONS: list[DonorPageSection] = []
