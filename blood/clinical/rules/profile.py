"""One jurisdiction's figures for clinical use (``Profile``), and the usual onset of each
reaction category (``Window``). Figures the cited sources do not confirm are marked
"unconfirmed"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from blood.clinical.rules.vocabulary import REACTION_CATEGORIES

# --- the profile ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The usual onset of a reaction, in hours after the end of the transfusion (0: during
    it); ``high`` None: no upper limit."""

    low: float
    high: float | None

    def holds(self, hours: float) -> bool:
        return hours >= self.low and (self.high is None or hours <= self.high)


# Hours after the transfusion in which each category usually starts. From domain-rules.md:
# acute haemolytic < 24 h, delayed haemolytic 24 h – 28 days, TACO < 12 h, TRALI < 6 h. The
# others from the ISBT/IHN definitions (unconfirmed against the national text): febrile,
# allergic and anaphylactic during or within 4 h, hypotensive within 1 h, dyspnoea within 24 h,
# post-transfusion purpura 5–12 days, TA-GvHD 2 days – 6 weeks. A transfusion-transmitted
# infection, or "other", may show at any time: no window.
REACTION_WINDOWS: Mapping[str, Window] = MappingProxyType(
    {
        "febrile_non_haemolytic": Window(0, 4),
        "allergic": Window(0, 4),
        "anaphylactic": Window(0, 4),
        "acute_haemolytic": Window(0, 24),
        "delayed_haemolytic": Window(24, 28 * 24),
        "taco": Window(0, 12),
        "trali": Window(0, 6),
        "ta_dyspnoea": Window(0, 24),
        "hypotensive": Window(0, 1),
        "post_transfusion_purpura": Window(5 * 24, 12 * 24),
        "ta_gvhd": Window(2 * 24, 6 * 7 * 24),
    }
)


@dataclass(frozen=True)
class Profile:
    """One jurisdiction's figures for clinical use. Field names match the ``clinical_*``
    settings that override them (``Settings.clinical_ml_per_unit`` → ``ml_per_unit``)."""

    code: str
    # Red cells and whole blood are counted in units of this much whole blood (1 U from
    # 200 mL: 800 mL ≈ 4 U, 1,600 mL ≈ 8 U).
    ml_per_unit: int = 200
    # From the first volume (mL of whole blood, in the window) the department head signs;
    # from the second the medical department approves as well.
    approval_tiers_ml: tuple[int, int] = (800, 1600)
    approval_window_hours: int = 24
    # Red cells are flagged above this pre-transfusion Hb (g/L): "not needed" above 100.
    red_cells_max_hb_g_l: float = 100.0
    # Platelets (×10⁹/L) are flagged above the surgical figure (100: "not needed"), or, for a
    # non-surgical patient without bleeding, above the prophylactic figure (20; "to confirm
    # per local policy": unconfirmed).
    platelets_max_surgical: float = 100.0
    platelets_max_medical: float = 20.0
    # Plasma is indicated when PT or APTT is more than this many times normal, or INR more
    # than the INR figure (2.0: common practice, unconfirmed); otherwise it is flagged.
    plasma_min_ratio: float = 1.5
    plasma_min_inr: float = 2.0
    # Cryoprecipitate is flagged above this fibrinogen (g/L). None: no figure in the cited
    # sources, so no such flag unless a deployment sets one (1.5 g/L is common).
    cryo_max_fibrinogen_g_l: float | None = None
    # A post-transfusion value counts when measured within this many hours of the end.
    outcome_window_hours: int = 24
    # A transfusion without an outcome this many hours after its end is on the review list.
    outcome_due_hours: int = 48
    # Red cells are flagged ineffective when Hb rose by less than this per unit (g/L/U).
    # Unconfirmed: half the ~5 g/L per Chinese unit expected in a 60 kg adult (2 U ≈ 10 g/L).
    hb_min_rise_per_unit_g_l: float = 2.5
    # Platelets: a corrected count increment below the early figure within `cci_early_hours`
    # of the end, or below the late figure after that (18–24 h), suggests refractoriness.
    # Between 1 h and 18 h no figure is given: the late (lower) one applies, so only a
    # clearly poor increment is flagged.
    cci_min_early: float = 7.5
    cci_early_hours: float = 1.0
    cci_min_late: float = 4.5
    # Platelets in one apheresis unit, ×10¹¹ (GB 18469-2012 requires ≥ 2.5 ×10¹¹ a bag; to
    # confirm), used for the CCI when the outcome does not say how many were given.
    apheresis_platelet_dose_e11: float = 2.5
    reaction_windows: Mapping[str, Window] = field(default_factory=lambda: REACTION_WINDOWS)

    def __post_init__(self) -> None:
        low, high = self.approval_tiers_ml
        if not 0 < low < high:
            raise ValueError(f"{self.code}: approval tiers must rise: {self.approval_tiers_ml}")
        if self.ml_per_unit <= 0 or self.approval_window_hours <= 0:
            raise ValueError(f"{self.code}: ml_per_unit and the window must be positive")
        if self.outcome_window_hours <= 0 or self.outcome_due_hours < self.outcome_window_hours:
            raise ValueError(f"{self.code}: an outcome falls due after its window closes")
        unknown = set(self.reaction_windows) - set(REACTION_CATEGORIES)
        if unknown:
            raise ValueError(f"{self.code}: unknown reaction categories {sorted(unknown)}")


CN_CLINICAL = Profile(code="cn-clinical")
PROFILES: Mapping[str, Profile] = MappingProxyType({CN_CLINICAL.code: CN_CLINICAL})
