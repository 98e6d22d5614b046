"""Write ``instance/config.py`` once, with freshly generated secrets.

``make run`` calls this (``python -m blood.instance_setup [INSTANCE_DIR]``) before anything
else, so every command in the checkout — the server, ``flask --app app blood …`` — uses the
same real keys. An existing file is never overwritten: a lost ``PII_KEY`` makes every stored
identifier unsearchable and unrecoverable.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

TEMPLATE = """\
# Written once by `make run` (blood.instance_setup). Never commit this file, and back up
# PII_KEY: without it no stored resident ID or phone number can be looked up or decrypted.
SECRET_KEY = "{secret_key}"
PII_KEY = "{pii_key}"
"""


def ensure_config(instance_dir: Path) -> bool:
    """Create ``config.py`` with new secrets if it does not exist; True if it was written."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "config.py"
    text = TEMPLATE.format(secret_key=secrets.token_urlsafe(48), pii_key=secrets.token_urlsafe(48))
    try:
        # O_EXCL: never overwrite, even if two `make run` start at once.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return True


def main(argv: list[str]) -> int:
    target = Path(argv[1] if len(argv) > 1 else os.environ.get("BLOOD_INSTANCE_PATH", "instance"))
    if ensure_config(target):
        print(f"wrote {target / 'config.py'} with new secrets (keep a copy of PII_KEY)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
