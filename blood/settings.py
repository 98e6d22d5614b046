"""The deployment's figures that the services apply, read once from the configuration.

Services never read ``current_app.config``: the app builds one ``Settings`` at start-up (so a
mistyped figure fails then, not in the middle of a collection) and every session it makes
carries it in ``Session.info``. A service asks ``settings.of(session)``; a test or a job that
needs other figures makes a session with other settings. Pure rule modules take the figures
as arguments and know nothing of this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from blood.pii import PiiVault, derive_key

INFO_KEY = "blood.settings"

# Defaults of the supervision figures (see the fields of Settings that use them).
DEFAULT_STOCK_MINIMUM_UNITS: Mapping[str, Any] = {
    "blood_centre": {
        "red_cells": {"O+": 20, "A+": 20, "B+": 20, "AB+": 6, "O-": 4, "A-": 2, "B-": 2, "AB-": 1},
        "platelets": {"O+": 2, "A+": 2, "B+": 2},
    },
    "hospital": {"red_cells": {"O+": 2, "A+": 2, "B+": 2}},
}
DEFAULT_WASTAGE_PERCENT: Mapping[str, float] = {
    "red_cells": 5.0,
    "platelets": 15.0,
    "plasma": 5.0,
    "cryo": 10.0,
}


@dataclass(frozen=True)
class Settings:
    # Keyed hashes and encryption of personal identifiers (blood.pii).
    pii_key: str
    # werkzeug's method for password hashes; tests use a cheaper one.
    password_hash_method: str = "scrypt"
    # Days source plasma is held before release (the 2008 quarantine rule: at least 90).
    plasma_quarantine_days: int = 90
    # The heaviest plasma collection that is physically plausible, in grams with the
    # anticoagulant. Above a profile's limit a collection is recorded as a deviation; above
    # this figure it is a typing error and refused. Unconfirmed: apheresis machines stop well
    # below 1,000 g (the US maximum, 800 mL of plasma plus anticoagulant, is about 900 g).
    plasma_plausible_max_g: float = 1000.0
    # Overrides of (unconfirmed) figures per eligibility profile: {"cn-plasma": {...}}; see
    # blood.donors.rules.apply_overrides (checked when the app starts).
    rule_profile_overrides: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # Shelf life per component, overriding the product-code table: {"red_cells": 504}.
    shelf_life_hours: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Days-of-supply bands per component (and group): see blood.stock.bands.
    stock_alert_thresholds: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # Days over which average daily use is taken.
    stock_usage_window_days: int = 28
    # Log-in: how long a browser session lives; failures of one (name, address) pair that go
    # unthrottled, and the longest delay after more.
    login_session_hours: int = 8
    login_free_failures: int = 5
    login_delay_max_seconds: int = 900
    # How long a worker trusts an API token it has looked up (revocation through another
    # worker takes effect within this many seconds; 0 looks the token up every request).
    api_token_cache_seconds: float = 30
    # Blood centre (blood.stock). Whole blood is collected as 200, 300 or 400 mL (GB
    # 18467-2011); a volume within this share of one of them is normal, outside it a deviation
    # for the quality manager. Unconfirmed figure: 0.10 (± 10 %) is a common bag tolerance.
    whole_blood_volume_tolerance: float = 0.10
    # The largest whole-blood or apheresis volume that can physically be in one collection;
    # above it the figure is a typing error and refused. Unconfirmed (bag capacity).
    collection_max_ml: int = 600
    # The components of one donation may total at most this many times the donation's
    # volume: anticoagulant and additive solution make them exceed the blood collected
    # (400 mL with 56 mL CPD and 100 mL MAP gives about 1.39). Unconfirmed figure.
    component_volume_ratio: float = 1.4
    # The blood centre laboratory's markers, all required negative (ALT within its limit)
    # before a unit is released. Default: GB 18467-2011's set with NAT.
    blood_lab_markers: tuple[str, ...] = ("alt", "hbsag", "anti_hcv", "anti_hiv", "syphilis", "nat")
    # ALT above this (U/L) fails the donation. GB 18467-2011 gives ≤ 50 U; to confirm locally.
    blood_alt_max_u_l: float = 50.0
    # Clinical blood use (blood.clinical): the figures of its rule profile (cn-clinical, see
    # blood.clinical.rules.Profile, where each is explained with its source). Red cells and
    # whole blood are counted in units of this many mL of whole blood (1 U from 200 mL).
    clinical_ml_per_unit: int = 200
    # A patient's whole-blood volume in the window from which the department head signs, and
    # from which the medical department approves as well (医疗机构临床用血管理办法 Art. 21).
    clinical_approval_tiers_ml: tuple[int, int] = (800, 1600)
    clinical_approval_window_hours: int = 24
    # Appropriateness flags (临床输血技术规范): red cells above this pre-transfusion Hb (g/L);
    # platelets (×10⁹/L) above the surgical figure, or above the prophylactic figure for a
    # non-surgical patient without bleeding (20: unconfirmed, local policy); plasma unless PT
    # or APTT is above the ratio × normal or INR above its figure (2.0: unconfirmed); cryo
    # above a fibrinogen figure (g/L) only when one is set (no source gives it).
    clinical_red_cells_max_hb_g_l: float = 100.0
    clinical_platelets_max_surgical: float = 100.0
    clinical_platelets_max_medical: float = 20.0
    clinical_plasma_min_ratio: float = 1.5
    clinical_plasma_min_inr: float = 2.0
    clinical_cryo_max_fibrinogen_g_l: float | None = None
    # The effect of a transfusion: a post-transfusion value counts within this many hours of
    # the end; without one this many hours after the end, it is on the review list.
    clinical_outcome_window_hours: int = 24
    clinical_outcome_due_hours: int = 48
    # Ineffective red cells: Hb rose less than this per unit (g/L; unconfirmed, half the
    # ~5 g/L expected). Platelets: CCI below the early figure within the early hours of the
    # end, below the late figure after (7.5 at 1 h, 4.5 at 18–24 h).
    clinical_hb_min_rise_per_unit_g_l: float = 2.5
    clinical_cci_min_early: float = 7.5
    clinical_cci_early_hours: float = 1.0
    clinical_cci_min_late: float = 4.5
    # Platelets in one apheresis unit (×10¹¹; GB 18469-2012: at least 2.5, to confirm).
    clinical_apheresis_platelet_dose_e11: float = 2.5
    # Supervision (blood.supervision). A past day's stock snapshots are rebuilt from the
    # records for this many days back (later corrections reach them); older days keep theirs.
    supervision_snapshot_rebuild_days: int = 7
    # A station or hospital that has recorded nothing for this many hours is "silent".
    supervision_silent_hours: int = 48
    # Units on hand below which an alert opens whatever the usage, per organisation kind or
    # code, component and group: {"hospital": {"red_cells": {"O+": 2}}}. Unconfirmed figures:
    # set them to what each jurisdiction's stock policy says.
    stock_minimum_units: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType(DEFAULT_STOCK_MINIMUM_UNITS)
    )
    # A marker's reactive rate over the recent days is "well above" its baseline (the days
    # before) at this factor, with at least this many reactive results. Unconfirmed figures.
    alert_reactive_recent_days: int = 7
    alert_reactive_baseline_days: int = 28
    alert_reactive_factor: float = 2.0
    alert_reactive_min_reactive: int = 3
    # A donor refused this many times within the window (days) raises an alert.
    alert_refused_attempts: int = 3
    alert_refused_window_days: int = 30
    # Wastage (discarded and expired units as a share of issues, or of transfusions at a
    # hospital) above a percentage per component, over the window, once at least this many
    # units moved. Unconfirmed figures (NHSBT's BSMS reports medians of 2–3 % for red cells).
    alert_wastage_window_days: int = 28
    alert_wastage_percent: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(DEFAULT_WASTAGE_PERCENT)
    )
    alert_wastage_min_units: int = 20
    # Pushes of summaries (blood.supervision.service.delivery): the first retry after about
    # this many seconds, doubling (with jitter) up to the ceiling; dead after this many
    # attempts. A delivery claimed longer ago than the lease (its sender died) is sent again
    # (the receiver deduplicates by its Idempotency-Key). The timeout of one HTTP call
    # (connecting, and each wait for the answer's bytes); the lease must be longer.
    push_backoff_base_seconds: float = 60
    push_backoff_max_seconds: float = 6 * 3600
    push_max_attempts: int = 8
    push_lease_seconds: float = 300
    push_timeout_seconds: float = 20

    def __post_init__(self) -> None:
        if self.plasma_quarantine_days < 1:
            raise ValueError("PLASMA_QUARANTINE_DAYS must be at least 1")
        if self.stock_usage_window_days < 1:
            raise ValueError("STOCK_USAGE_WINDOW_DAYS must be at least 1")
        if not 0 < self.plasma_plausible_max_g <= 5000:
            raise ValueError("PLASMA_PLAUSIBLE_MAX_G must be between 0 and 5000 grams")
        # Wider than 20 % and 200 mL + t would overlap 300 mL - t.
        if not 0 <= self.whole_blood_volume_tolerance < 0.2:
            raise ValueError("WHOLE_BLOOD_VOLUME_TOLERANCE must be from 0 to below 0.2")
        if self.collection_max_ml < 400 * (1 + self.whole_blood_volume_tolerance):
            raise ValueError("COLLECTION_MAX_ML must hold 400 mL and its tolerance")
        if self.component_volume_ratio < 1:
            raise ValueError("COMPONENT_VOLUME_RATIO must be at least 1")
        if not self.blood_lab_markers or not all(
            m.isidentifier() and m == m.lower() for m in self.blood_lab_markers
        ):
            raise ValueError("BLOOD_LAB_MARKERS must name markers such as hbsag, anti_hiv")
        if self.blood_alt_max_u_l <= 0:
            raise ValueError("BLOOD_ALT_MAX_U_L must be more than 0")
        self._check_clinical()

    def _check_clinical(self) -> None:
        low, high = self.clinical_approval_tiers_ml
        if not 0 < low < high:
            raise ValueError("CLINICAL_APPROVAL_TIERS_ML must be two rising volumes: [800, 1600]")
        if self.clinical_ml_per_unit <= 0 or self.clinical_approval_window_hours <= 0:
            raise ValueError("CLINICAL_ML_PER_UNIT and CLINICAL_APPROVAL_WINDOW_HOURS must be > 0")
        if not 0 < self.clinical_outcome_window_hours <= self.clinical_outcome_due_hours:
            raise ValueError(
                "CLINICAL_OUTCOME_WINDOW_HOURS must be > 0 and at most CLINICAL_OUTCOME_DUE_HOURS"
            )
        positive = {
            "CLINICAL_RED_CELLS_MAX_HB_G_L": self.clinical_red_cells_max_hb_g_l,
            "CLINICAL_PLATELETS_MAX_SURGICAL": self.clinical_platelets_max_surgical,
            "CLINICAL_PLATELETS_MAX_MEDICAL": self.clinical_platelets_max_medical,
            "CLINICAL_PLASMA_MIN_RATIO": self.clinical_plasma_min_ratio,
            "CLINICAL_PLASMA_MIN_INR": self.clinical_plasma_min_inr,
            "CLINICAL_HB_MIN_RISE_PER_UNIT_G_L": self.clinical_hb_min_rise_per_unit_g_l,
            "CLINICAL_CCI_MIN_EARLY": self.clinical_cci_min_early,
            "CLINICAL_CCI_EARLY_HOURS": self.clinical_cci_early_hours,
            "CLINICAL_CCI_MIN_LATE": self.clinical_cci_min_late,
            "CLINICAL_APHERESIS_PLATELET_DOSE_E11": self.clinical_apheresis_platelet_dose_e11,
        }
        if self.clinical_cryo_max_fibrinogen_g_l is not None:
            positive["CLINICAL_CRYO_MAX_FIBRINOGEN_G_L"] = self.clinical_cryo_max_fibrinogen_g_l
        for name, value in positive.items():
            if not 0 < value < 10_000:
                raise ValueError(f"{name} must be more than 0")

    @cached_property
    def vault(self) -> PiiVault:
        return PiiVault(self.pii_key)

    @cached_property
    def audit_signing_key(self) -> bytes:
        """Signs audit checkpoints (derived from the PII key; see blood.audit)."""
        return derive_key(self.pii_key, "audit-checkpoint")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            pii_key=config["PII_KEY"],
            password_hash_method=config.get("PASSWORD_HASH_METHOD") or "scrypt",
            plasma_quarantine_days=int(config.get("PLASMA_QUARANTINE_DAYS", 90)),
            plasma_plausible_max_g=float(config.get("PLASMA_PLAUSIBLE_MAX_G", 1000)),
            rule_profile_overrides=MappingProxyType(
                dict(config.get("RULE_PROFILE_OVERRIDES") or {})
            ),
            shelf_life_hours=MappingProxyType(dict(config.get("SHELF_LIFE_HOURS") or {})),
            stock_alert_thresholds=MappingProxyType(
                dict(config.get("STOCK_ALERT_THRESHOLDS") or {})
            ),
            stock_usage_window_days=int(config.get("STOCK_USAGE_WINDOW_DAYS", 28)),
            login_session_hours=max(
                1, int(config.get("PERMANENT_SESSION_LIFETIME", 8 * 3600)) // 3600
            ),
            login_free_failures=int(config.get("LOGIN_FREE_FAILURES", 5)),
            login_delay_max_seconds=int(config.get("LOGIN_DELAY_MAX_SECONDS", 900)),
            api_token_cache_seconds=float(config.get("API_TOKEN_CACHE_SECONDS", 30)),
            whole_blood_volume_tolerance=float(config.get("WHOLE_BLOOD_VOLUME_TOLERANCE", 0.10)),
            collection_max_ml=int(config.get("COLLECTION_MAX_ML", 600)),
            component_volume_ratio=float(config.get("COMPONENT_VOLUME_RATIO", 1.4)),
            blood_lab_markers=_markers(config.get("BLOOD_LAB_MARKERS")),
            blood_alt_max_u_l=float(config.get("BLOOD_ALT_MAX_U_L", 50)),
            **_clinical(config),
            **_supervision(config),
        )


_CLINICAL_FIGURES = {
    "clinical_ml_per_unit": int,
    "clinical_approval_window_hours": int,
    "clinical_red_cells_max_hb_g_l": float,
    "clinical_platelets_max_surgical": float,
    "clinical_platelets_max_medical": float,
    "clinical_plasma_min_ratio": float,
    "clinical_plasma_min_inr": float,
    "clinical_outcome_window_hours": int,
    "clinical_outcome_due_hours": int,
    "clinical_hb_min_rise_per_unit_g_l": float,
    "clinical_cci_min_early": float,
    "clinical_cci_early_hours": float,
    "clinical_cci_min_late": float,
    "clinical_apheresis_platelet_dose_e11": float,
}


def _clinical(config: Mapping[str, Any]) -> dict[str, Any]:
    """The clinical_* figures the configuration sets (``CLINICAL_ML_PER_UNIT`` …); the others
    keep their defaults."""
    found: dict[str, Any] = {}
    for name, kind in _CLINICAL_FIGURES.items():
        if config.get(name.upper()) is not None:
            found[name] = kind(config[name.upper()])
    tiers = config.get("CLINICAL_APPROVAL_TIERS_ML")
    if tiers is not None:
        if isinstance(tiers, str):
            tiers = tiers.split(",")
        values = tuple(int(t) for t in tiers)
        if len(values) != 2:
            raise ValueError("CLINICAL_APPROVAL_TIERS_ML takes two volumes, e.g. [800, 1600]")
        found["clinical_approval_tiers_ml"] = values
    fibrinogen = config.get("CLINICAL_CRYO_MAX_FIBRINOGEN_G_L")
    if fibrinogen not in (None, ""):
        found["clinical_cryo_max_fibrinogen_g_l"] = float(fibrinogen)
    return found


_SUPERVISION_FIGURES = {
    "supervision_snapshot_rebuild_days": int,
    "supervision_silent_hours": int,
    "alert_reactive_recent_days": int,
    "alert_reactive_baseline_days": int,
    "alert_reactive_factor": float,
    "alert_reactive_min_reactive": int,
    "alert_refused_attempts": int,
    "alert_refused_window_days": int,
    "alert_wastage_window_days": int,
    "alert_wastage_min_units": int,
    "push_backoff_base_seconds": float,
    "push_backoff_max_seconds": float,
    "push_max_attempts": int,
    "push_lease_seconds": float,
    "push_timeout_seconds": float,
}


def _supervision(config: Mapping[str, Any]) -> dict[str, Any]:
    """The supervision figures the configuration sets (``SUPERVISION_SILENT_HOURS``,
    ``ALERT_WASTAGE_PERCENT`` …); the others keep their defaults."""
    found: dict[str, Any] = {}
    for name, kind in _SUPERVISION_FIGURES.items():
        if config.get(name.upper()) is not None:
            value = kind(config[name.upper()])
            if not 0 < value <= 100_000:
                raise ValueError(f"{name.upper()} must be more than 0")
            found[name] = value
    minimums = config.get("STOCK_MINIMUM_UNITS")
    if minimums is not None:
        found["stock_minimum_units"] = MappingProxyType(_minimums(minimums))
    wastage = config.get("ALERT_WASTAGE_PERCENT")
    if wastage is not None:
        found["alert_wastage_percent"] = MappingProxyType(
            {str(c): float(p) for c, p in dict(wastage).items()}
        )
    return found


def _minimums(value: Any) -> dict[str, dict[str, dict[str, int]]]:
    """``{scope: {component: {group: units}}}``, every figure a whole number ≥ 0."""
    checked: dict[str, dict[str, dict[str, int]]] = {}
    for scope, components in dict(value).items():
        checked[str(scope)] = {}
        for component, groups in dict(components).items():
            units = {str(g): int(n) for g, n in dict(groups).items()}
            if any(n < 0 for n in units.values()):
                raise ValueError("STOCK_MINIMUM_UNITS figures must be 0 or more")
            checked[str(scope)][str(component)] = units
    return checked


def _markers(value: Any) -> tuple[str, ...]:
    """A list of marker codes, or one string of them separated by commas."""
    if not value:
        return Settings.blood_lab_markers
    items = value.split(",") if isinstance(value, str) else value
    return tuple(str(m).strip().lower() for m in items if str(m).strip())


def of(session: Session) -> Settings:
    """The settings the session was made with (``blood.db`` attaches the app's)."""
    try:
        return session.info[INFO_KEY]
    except KeyError:
        raise RuntimeError(
            "this session carries no settings: make it with blood.db's sessionmaker"
        ) from None
