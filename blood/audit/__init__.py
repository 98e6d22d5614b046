"""Append-only audit log, hash-chained per organisation.

Every write records who (user or token, and organisation), what (action, entity, id, changed
fields before/after with secrets and personal identifiers masked), when and the request id.

Rows form one hash chain per organisation whose records changed (``chain`` = that
organisation's id; 0 for writes that belong to none): each row stores its position in its
chain (``seq``: 1, 2, 3 … without gaps), the previous row's hash and its own hash over its
content, so editing, deleting or re-ordering rows breaks the chain at the first affected row.

Writers never wait for each other while they work: a row is inserted unsealed (no ``seq``,
no hashes) and sealed when its transaction commits (``seal``, a ``before_commit`` hook), in
the order of its chain. Sealing takes a transaction-scoped advisory lock per chain on
PostgreSQL, in ascending chain order (so two sealers never deadlock), held from the seal to
the commit — milliseconds, whatever the transaction did before; writers in different
organisations never wait for each other at all. On SQLite every writing transaction holds the
database's single write lock anyway (``BEGIN IMMEDIATE``, see ``blood.db``).

Deleting the newest rows of a chain cannot be seen from the table alone: ``verify`` keeps
signed checkpoints of each chain's head (``AuditCheckpoint``), so a later run notices a head
that went backwards, and the supervision summaries carry the heads to the authority above.
See docs/audit.md for the design and its proof.

The package: ``models`` (the two tables), ``recording`` (``record``, ``record_many``,
``snapshot``, ``diff`` and ``seal``) and ``verification`` (``verify``, ``heads``); every public
name is re-exported here (``from blood import audit``).
"""

from blood.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent
from blood.audit.recording import (
    REDACTED,
    AuditActor,
    AuditOrganisation,
    Entry,
    diff,
    record,
    record_many,
    seal,
    snapshot,
)
from blood.audit.verification import ChainBreak, Verification, heads, verify
from blood.db import utcnow

__all__ = [
    "GENESIS_HASH",
    "REDACTED",
    "AuditActor",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditOrganisation",
    "ChainBreak",
    "Entry",
    "Verification",
    "diff",
    "heads",
    "record",
    "record_many",
    "seal",
    "snapshot",
    "utcnow",
    "verify",
]
