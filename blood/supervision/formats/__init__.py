"""How a summary travels: the request each push format sends and how its answer reads.

- ``native``: the summary document as JSON, signed (HMAC-SHA256 over the timestamp and the
  body) — also what an upper-level instance of this system receives (``federation``);
- ``dhis2``: a DHIS2 ``dataValueSets`` import built from the target's mapping, and DHIS2's
  ImportSummary read back.

Pure: no Flask, no database. ``blood.supervision.service.delivery`` sends what these build.
"""

from blood.supervision.formats.common import Outcome, Outgoing

__all__ = ["Outcome", "Outgoing"]
