"""A deployment's overrides of a profile's figures, as its configuration spells them
(``RULE_PROFILE_OVERRIDES``): parsed and checked here, applied with `dataclasses.replace` so
that `Profile.__post_init__` checks the result too. Any unknown profile, figure, kind or shape
raises ValueError naming it, so a mistyped deployment figure fails when the app starts.

The format, per profile code::

    {"max_alt_u_l": 40,                                   # a number (None where allowed)
     "min_weight_kg": {"men": 50, "women": 45},           # per sex, or one number for both
     "systolic_range": {"low": 90, "high": 140, "high_inclusive": False},
     "kinds": ["plasma"], "default_kind": "plasma",
     "frequency_limits": [{"kinds": ["plasma"], "maximum": 24, "window_days": 365,
                           "reason_code": "too_many_in_year"}],
     "collection_bands": [{"min_weight_kg": 0, "amount": 600}],
     "intervals": {"whole_blood>plasma": {"months": 6}}}  # merged into the profile's own

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from types import MappingProxyType
from typing import Any

from blood.donors.rules.facts import DonationKind
from blood.donors.rules.profiles import (
    CollectionBand,
    FrequencyLimit,
    Interval,
    PerSex,
    Profile,
    Range,
    get_profile,
    kind_names,
)

_NUMBERS = {
    "min_age": False,  # name -> None allowed
    "max_age": True,
    "max_age_established": True,
    "min_pulse_pressure": True,
    "max_temperature_c": True,
    "min_total_protein_g_l": True,
    "max_alt_u_l": True,
    "density_g_per_ml": False,
}
_PER_SEX = {"min_weight_kg": False, "min_hb_g_l": True}
_RANGES = ("systolic_range", "diastolic_range", "pulse_range")
_KIND_SETS = ("kinds", "established_after")
OVERRIDABLE: tuple[str, ...] = tuple(
    f.name for f in fields(Profile) if f.name not in ("code", "source")
)


def apply_overrides(profile: Profile, overrides: Mapping[str, Any]) -> Profile:
    """`profile` with a deployment's figures, as configuration spells them::

        {"max_alt_u_l": 40,
         "min_weight_kg": {"men": 50, "women": 45},
         "intervals": {"whole_blood>plasma": {"months": 6}}}

    Intervals are merged into the profile's own (``"previous>next"``: ``{"days": n}`` or
    ``{"months": n}``). Any unknown name, kind or shape raises ValueError naming it, so a
    mistyped deployment figure fails when the app starts.
    """
    if not isinstance(overrides, Mapping):
        raise ValueError(f"{profile.code}: overrides are a mapping of figure names to values")
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise ValueError(
            f"{profile.code}: unknown figures {unknown}; known: {', '.join(OVERRIDABLE)}"
        )
    changes = {name: _convert(profile, name, value) for name, value in overrides.items()}
    return replace(profile, **changes)


def _convert(profile: Profile, name: str, value: Any) -> Any:
    where = f"{profile.code}.{name}"
    if name == "intervals":
        return _intervals(profile, value)
    if name in _NUMBERS:
        if value is None and _NUMBERS[name]:
            return None
        return _number(where, value)
    if name in _PER_SEX:
        if value is None and _PER_SEX[name]:
            return None
        if isinstance(value, PerSex):
            return value
        if isinstance(value, Mapping):
            _only(where, value, {"men", "women"}, required={"men", "women"})
            return PerSex(_number(where, value["men"]), _number(where, value["women"]))
        return PerSex.both(_number(where, value))
    if name in _RANGES:
        if isinstance(value, Range):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(f"{where}: a range is {{'low': …, 'high': …}}")
        keys = {"low", "high", "low_inclusive", "high_inclusive"}
        _only(where, value, keys, required={"low", "high"})
        return Range(
            _number(where, value["low"]),
            _number(where, value["high"]),
            bool(value.get("low_inclusive", True)),
            bool(value.get("high_inclusive", True)),
        )
    if name in _KIND_SETS:
        return frozenset(_kind(where, kind) for kind in _sequence(where, value))
    if name == "default_kind":
        return _kind(where, value)
    if name == "frequency_limits":
        limits = []
        for item in _sequence(where, value):
            if isinstance(item, FrequencyLimit):
                limits.append(item)
                continue
            if not isinstance(item, Mapping):
                raise ValueError(f"{where}: each limit is a mapping")
            keys = {"kinds", "maximum", "window_days", "reason_code"}
            _only(where, item, keys, required=keys)
            if item["reason_code"] not in ("too_many_in_year", "too_many_in_week"):
                raise ValueError(f"{where}: reason_code is too_many_in_year or too_many_in_week")
            limits.append(
                FrequencyLimit(
                    frozenset(_kind(where, kind) for kind in _sequence(where, item["kinds"])),
                    _integer(where, item["maximum"]),
                    _integer(where, item["window_days"]),
                    item["reason_code"],
                )
            )
        return tuple(limits)
    if name == "collection_bands":
        bands = []
        for item in _sequence(where, value):
            if isinstance(item, CollectionBand):
                bands.append(item)
            elif isinstance(item, Mapping):
                _only(
                    where, item, {"min_weight_kg", "amount"}, required={"min_weight_kg", "amount"}
                )
                bands.append(
                    CollectionBand(
                        _number(where, item["min_weight_kg"]), _number(where, item["amount"])
                    )
                )
            else:
                raise ValueError(f"{where}: each band is {{'min_weight_kg': …, 'amount': …}}")
        return tuple(bands)
    if name == "collection_includes_anticoagulant":
        if not isinstance(value, bool):
            raise ValueError(f"{where}: true or false")
        return value
    if name == "collection_unit":
        return str(value)
    if name == "required_measurements":
        return tuple(str(item) for item in _sequence(where, value))
    raise ValueError(f"{where}: cannot be overridden")  # pragma: no cover - OVERRIDABLE


def _intervals(
    profile: Profile, value: Any
) -> Mapping[tuple[DonationKind, DonationKind], Interval]:
    where = f"{profile.code}.intervals"
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: a mapping such as {{'whole_blood>plasma': {{'months': 6}}}}")
    merged = dict(profile.intervals)
    for key, gap in value.items():
        if isinstance(key, tuple):
            pair = key
        elif isinstance(key, str) and key.count(">") == 1:
            pair = tuple(part.strip() for part in key.split(">"))
        else:
            raise ValueError(f"{where}: {key!r} is not 'previous>next', e.g. 'whole_blood>plasma'")
        previous, following = (_kind(f"{where}.{key}", kind) for kind in pair)
        if isinstance(gap, Interval):
            interval = gap
        elif isinstance(gap, Mapping):
            _only(f"{where}.{key}", gap, {"days", "months"})
            try:
                interval = Interval(
                    days=_integer(f"{where}.{key}", gap.get("days", 0)),
                    months=_integer(f"{where}.{key}", gap.get("months", 0)),
                )
            except ValueError as error:
                raise ValueError(f"{where}.{key}: {error}") from None
        else:
            raise ValueError(f"{where}.{key}: {{'days': n}} or {{'months': n}}")
        merged[(previous, following)] = interval
    return MappingProxyType(merged)


def _kind(where: str, value: Any) -> DonationKind:
    try:
        return DonationKind(value)
    except ValueError:
        raise ValueError(
            f"{where}: unknown kind of donation {value!r}; known: {kind_names(DonationKind)}"
        ) from None


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: {value!r} is not a number")
    return value


def _sequence(where: str, value: Any) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"{where}: a list is expected, not {value!r}")
    return list(value)


def _integer(where: str, value: Any) -> int:
    number = _number(where, value)
    if not float(number).is_integer():
        raise ValueError(f"{where}: {value!r} is not a whole number")
    return int(number)


def _only(where: str, value: Mapping, allowed: set[str], required: Iterable[str] = ()) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; known: {', '.join(sorted(allowed))}")
    absent = sorted(set(required) - set(value))
    if absent:
        raise ValueError(f"{where}: {', '.join(absent)} missing")


def check_overrides(overrides: Mapping[str, Any]) -> dict[str, Profile]:
    """Every profile a deployment overrides, with its overrides applied: ValueError on an
    unknown profile code or figure. Called when the app starts."""
    if not isinstance(overrides, Mapping):
        raise ValueError("RULE_PROFILE_OVERRIDES is a mapping of profile codes to figures")
    return {
        code: apply_overrides(get_profile(code), figures) for code, figures in overrides.items()
    }
