"""Push secrets and credentials, encrypted with the deployment's key (``blood.pii``).

The vault normalises what it encrypts as it does personal identifiers (upper case, no spaces
or dashes), which would change a secret; so a secret is encrypted as the upper-case hex of
its UTF-8 bytes, which normalising leaves as it is, and read back from it."""

from __future__ import annotations

from sqlmodel import Session

from blood import settings


def seal(session: Session, secret: str) -> str:
    return settings.of(session).vault.encrypt(secret.encode("utf-8").hex().upper())


def unseal(session: Session, token: str | None) -> str:
    if not token:
        return ""
    return bytes.fromhex(settings.of(session).vault.decrypt(token)).decode("utf-8")
