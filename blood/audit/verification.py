"""Checking the log: ``verify`` walks every chain and reports the first break of each, keeping
signed checkpoints of the heads so that a head that went backwards is noticed; ``heads`` is
what a summary sends upwards."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from blood.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent
from blood.db import utcnow


@dataclass(frozen=True)
class ChainBreak:
    chain: int
    seq: int
    id: int | None
    reason: str


@dataclass(frozen=True)
class Verification:
    checked: int  # rows whose content and links were checked in this run
    chains: int
    breaks: list[ChainBreak]

    @property
    def intact(self) -> bool:
        return not self.breaks


def _signature(key: bytes, checkpoint: AuditCheckpoint) -> str:
    return hmac.new(key, checkpoint.message(), hashlib.sha256).hexdigest()


def verify(
    session: Session,
    *,
    signing_key: bytes | None = None,
    resume: bool = False,
    batch_size: int = 1000,
) -> Verification:
    """Walk every chain and report the first break of each.

    With ``resume`` (and a ``signing_key``), each chain is walked from its latest checkpoint,
    after checking the checkpoint's signature and that its row still has the hash it had:
    the daily run costs the new rows only. When every chain is intact and a key is given, the
    heads are written as new checkpoints.
    """
    chains = session.exec(select(AuditEvent.chain).distinct().order_by(AuditEvent.chain)).all()
    checked, breaks, heads = 0, [], []
    for chain in chains:
        start_seq, prev_hash = 0, GENESIS_HASH
        if resume and signing_key is not None:
            point = _latest_checkpoint(session, chain)
            if point is not None:
                problem = _check_checkpoint(session, signing_key, point)
                if problem is not None:
                    breaks.append(problem)
                    continue
                start_seq, prev_hash = point.seq, point.hash
        count, broken, head = _walk(session, chain, start_seq, prev_hash, batch_size)
        checked += count
        if broken is not None:
            breaks.append(broken)
        elif head is not None:
            heads.append(head)
    unsealed = session.exec(select(AuditEvent).where(AuditEvent.seq.is_(None)).limit(1)).first()
    if unsealed is not None:
        breaks.append(
            ChainBreak(unsealed.chain, 0, unsealed.id, "a committed row was never sealed")
        )
    if not breaks and signing_key is not None:
        for chain, seq, row_hash in heads:
            point = AuditCheckpoint(chain=chain, seq=seq, hash=row_hash, verified_at=utcnow())
            point.signature = _signature(signing_key, point)
            session.add(point)
    return Verification(checked, len(chains), breaks)


def _latest_checkpoint(session: Session, chain: int) -> AuditCheckpoint | None:
    return session.exec(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.chain == chain)
        .order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    ).first()


def _check_checkpoint(session: Session, key: bytes, point: AuditCheckpoint) -> ChainBreak | None:
    if not hmac.compare_digest(point.signature, _signature(key, point)):
        return ChainBreak(point.chain, point.seq, None, "a checkpoint's signature is not valid")
    row = session.exec(
        select(AuditEvent).where(AuditEvent.chain == point.chain, AuditEvent.seq == point.seq)
    ).first()
    if row is None:
        return ChainBreak(
            point.chain, point.seq, None, "the row of a checkpoint is gone (rows were deleted)"
        )
    if row.hash != point.hash or row.compute_hash() != row.hash:
        return ChainBreak(point.chain, point.seq, row.id, "the row of a checkpoint was changed")
    return None


def _walk(
    session: Session, chain: int, start_seq: int, prev_hash: str, batch_size: int
) -> tuple[int, ChainBreak | None, tuple[int, int, str] | None]:
    """Check one chain from ``start_seq`` + 1: (rows checked, first break, head)."""
    expected, checked, last_seq, head = start_seq + 1, 0, start_seq, None
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.chain == chain, AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        ).all()
        if not rows:
            return checked, None, head
        for row in rows:
            if row.seq != expected:
                reason = f"row {expected} is missing (next is {row.seq})"
                return checked, ChainBreak(chain, expected, row.id, reason), None
            if row.prev_hash != prev_hash:
                reason = "prev_hash does not match the previous row's hash"
                return checked, ChainBreak(chain, row.seq, row.id, reason), None
            if row.compute_hash() != row.hash:
                reason = "content does not match its hash"
                return checked, ChainBreak(chain, row.seq, row.id, reason), None
            checked += 1
            expected, prev_hash, last_seq = row.seq + 1, row.hash, row.seq
            head = (chain, row.seq, row.hash)
            session.expunge(row)


def heads(
    session: Session, organisation_ids: list[int] | None = None
) -> dict[int, tuple[int, str]]:
    """Each chain's newest sealed row (seq, hash): what a summary sends upwards, so that
    truncating a chain is visible to someone outside this database."""
    latest = (
        select(AuditEvent.chain, sa.func.max(AuditEvent.seq).label("seq"))
        .where(AuditEvent.seq.is_not(None))
        .group_by(AuditEvent.chain)
    )
    if organisation_ids is not None:
        latest = latest.where(AuditEvent.chain.in_(organisation_ids))
    latest = latest.subquery()
    rows = session.exec(
        select(AuditEvent.chain, AuditEvent.seq, AuditEvent.hash).join(
            latest, sa.and_(AuditEvent.chain == latest.c.chain, AuditEvent.seq == latest.c.seq)
        )
    ).all()
    return {chain: (seq, row_hash) for chain, seq, row_hash in rows}
