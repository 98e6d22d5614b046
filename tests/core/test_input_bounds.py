"""Every string, number and list that any input schema takes is bounded to what the domain
allows, so no request can make the server store or loop over more than a page of work."""

from __future__ import annotations

import importlib
import pkgutil

import marshmallow as ma
import pytest
from marshmallow import fields, validate

import blood
from blood.inputs import InputSchema


def _schemas() -> list[type[ma.Schema]]:
    for module in pkgutil.walk_packages(blood.__path__, "blood."):
        if module.name.endswith(".schemas"):
            importlib.import_module(module.name)
    found, todo = [], list(InputSchema.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: c.__qualname__)


def _bounded(field: fields.Field) -> bool:
    checks = field.validators
    if isinstance(field, fields.String):
        return any(
            (isinstance(v, validate.Length) and v.max is not None)
            or isinstance(v, validate.OneOf | validate.Regexp)
            for v in checks
        )
    if isinstance(field, fields.Integer | fields.Float):
        ranges = [v for v in checks if isinstance(v, validate.Range)]
        below = any(v.min is not None for v in ranges)
        above = any(v.max is not None for v in ranges)
        return (below and above) or any(isinstance(v, validate.OneOf) for v in checks)
    if isinstance(field, fields.List):
        return any(isinstance(v, validate.Length) and v.max is not None for v in checks)
    if isinstance(field, fields.Dict):
        keys_listed = field.key_field is not None and any(
            isinstance(v, validate.OneOf) for v in field.key_field.validators
        )
        return keys_listed or any(
            isinstance(v, validate.Length) and v.max is not None for v in checks
        )
    return True  # dates, booleans, nested schemas (checked as schemas themselves)


def _unbounded(schema: type[ma.Schema]) -> list[str]:
    problems = []
    for name, field in schema._declared_fields.items():
        if not _bounded(field):
            problems.append(name)
        inner = getattr(field, "inner", None)
        if inner is not None and not isinstance(inner, fields.Nested) and not _bounded(inner):
            problems.append(f"{name}[]")
    return problems


def test_there_are_input_schemas_to_check():
    assert len(_schemas()) > 20


@pytest.mark.parametrize("schema", _schemas(), ids=lambda s: s.__qualname__)
def test_every_input_is_bounded(schema):
    assert _unbounded(schema) == []


def test_every_input_shape_is_an_input_schema():
    """Shapes named …In or …Query are inputs: they get the input layer's checks."""
    loose = []
    for module in pkgutil.walk_packages(blood.__path__, "blood."):
        if not module.name.endswith(".schemas"):
            continue
        for name, value in vars(importlib.import_module(module.name)).items():
            if (
                isinstance(value, type)
                and issubclass(value, ma.Schema)
                and name.endswith(("In", "Query"))
                and not issubclass(value, InputSchema)
            ):
                loose.append(f"{module.name}.{name}")
    assert loose == []
