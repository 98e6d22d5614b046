"""Personal identifiers: keyed look-up hashes, masks for display, recoverable encryption."""

from __future__ import annotations

import pytest

from blood.pii import PiiVault, mask_phone, mask_resident_id, normalise

RESIDENT_ID = "33010619900101123X"


def test_lookup_key_is_stable_keyed_and_per_purpose():
    vault = PiiVault("k" * 40)
    key = vault.lookup_key(RESIDENT_ID, purpose="resident_id")
    assert key == vault.lookup_key(RESIDENT_ID.lower(), purpose="resident_id")
    assert key == vault.lookup_key("330106 19900101 123x", purpose="resident_id")
    assert RESIDENT_ID not in key and len(key) == 64
    assert key != vault.lookup_key(RESIDENT_ID, purpose="phone")
    assert key != PiiVault("j" * 40).lookup_key(RESIDENT_ID, purpose="resident_id")


def test_encryption_round_trips_and_refuses_another_key():
    vault = PiiVault("k" * 40)
    token = vault.encrypt(RESIDENT_ID)
    assert RESIDENT_ID not in token
    assert vault.decrypt(token) == RESIDENT_ID
    assert vault.encrypt(RESIDENT_ID) != token  # randomised
    with pytest.raises(ValueError, match="cannot decrypt"):
        PiiVault("j" * 40).decrypt(token)


@pytest.mark.parametrize(
    "raw, masked",
    [
        (RESIDENT_ID, "3301**********123X"),
        ("３３０１０６１９９００１０１１２３ｘ", "3301**********123X"),  # full-width input
        ("1234", "****"),
    ],
)
def test_resident_id_mask_keeps_region_and_last_four(raw, masked):
    assert mask_resident_id(raw) == masked


def test_phone_mask():
    assert mask_phone("138 0013 8000") == "138****8000"


def test_normalise_strips_separators_and_upper_cases():
    assert normalise(" 3301-0619 x ") == "33010619X"
