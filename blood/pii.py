"""Personal identifiers (resident ID numbers, phone numbers, patient record numbers).

They are never stored in clear. Each one is kept as up to three things:

- a keyed hash (HMAC-SHA256) for exact look-up and uniqueness, per purpose, so the same
  number hashed for two purposes gives unrelated keys;
- a masked form for display (``3301**********123X``, ``138****5678``);
- an encrypted form (Fernet: AES-128-CBC + HMAC) only where the full value must be recoverable.

All keys derive from the one ``PII_KEY`` secret with HKDF.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def normalise(value: str) -> str:
    """Full-width to ASCII, no spaces or dashes, upper case: how people type IDs varies."""
    value = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in value if ch not in " -\t").upper()


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from the deployment's secret (HKDF-SHA256)."""
    return _derive(secret, purpose)


def _derive(secret: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"blood.pii.v1", info=purpose.encode()
    ).derive(secret.encode())


class PiiVault:
    def __init__(self, secret: str):
        self._secret = secret
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, "encrypt")))
        self._hash_keys: dict[str, bytes] = {}

    def lookup_key(self, value: str, *, purpose: str) -> str:
        key = self._hash_keys.get(purpose)
        if key is None:
            key = self._hash_keys[purpose] = _derive(self._secret, f"lookup:{purpose}")
        return hmac.new(key, normalise(value).encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(normalise(value).encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # wrong PII_KEY or a tampered value
            raise ValueError("cannot decrypt: wrong PII_KEY or tampered value") from exc


def vault() -> PiiVault:
    """The app's vault, for the edges (CLI, demo, tests); services use ``settings.of(session)``."""
    return current_app.extensions["blood.settings"].vault


def mask_resident_id(value: str) -> str:
    """Keep the first 4 (province + city) and the last 4 characters."""
    value = normalise(value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 digits, as Chinese services commonly show them."""
    value = normalise(value)
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
