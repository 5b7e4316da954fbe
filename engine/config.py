"""Typed config helpers: dataclasses are the source of truth; presets and ``--set key=value`` override them."""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

from engine.errors import DreamwalkError


# The last version that trained, exported and played the retired settings (model warps, context sinks).
LAST_WITH_RETIRED = "0.1"


class ConfigError(DreamwalkError):
    """A preset or --set override that does not fit the config."""


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(cls: type, values: dict[str, Any]) -> Any:
    """Rebuild a (nested) dataclass from ``to_dict`` output; unknown keys are an error. A setting an earlier
    version had (the class's ``RETIRED``: name -> its "off" value) is dropped while it is off and refused in
    one line when it is on, naming the version that can read it."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    retired = getattr(cls, "RETIRED", {})
    for name in set(values) & set(retired):
        if values[name] not in (retired[name], None, False, 0):
            raise ConfigError(f"{cls.__name__}.{name}={values[name]!r} is a setting this version of Dreamwalk no "
                              f"longer has; Dreamwalk {LAST_WITH_RETIRED} reads it")
    values = {name: value for name, value in values.items() if name not in retired}
    unknown = set(values) - names
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} field(s): {', '.join(sorted(unknown))}")
    kwargs = {}
    for name, value in values.items():
        hint = hints[name]
        kwargs[name] = from_dict(hint, value) if dataclasses.is_dataclass(hint) else value
    return cls(**kwargs)


def _coerce(text: str, current: Any, field_name: str) -> Any:
    try:
        if isinstance(current, bool):
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        if isinstance(current, (list, tuple)):
            value = json.loads(text)
            if not isinstance(value, list):
                raise ValueError
            return value
        if current is None:
            return json.loads(text) if text[:1] in "[{0123456789-" else text
        return text
    except ValueError:
        raise ConfigError(f"--set {field_name}={text}: expected a value like {current!r}") from None


def apply_overrides(config: Any, overrides: dict[str, Any] | list[str]) -> Any:
    """Set dotted fields: ``{"model.layers": 2}`` or ``["model.layers=2"]`` (strings are parsed by type)."""
    if isinstance(overrides, list):
        pairs = {}
        for item in overrides:
            if "=" not in item:
                raise ConfigError(f"--set takes key=value, got {item!r}")
            key, value = item.split("=", 1)
            pairs[key.strip()] = value.strip()
        overrides = pairs
    for key, value in overrides.items():
        target = config
        *parents, leaf = key.split(".")
        for parent in parents:
            if not dataclasses.is_dataclass(target) or not hasattr(target, parent):
                raise ConfigError(f"unknown config key {key!r}")
            target = getattr(target, parent)
        if not dataclasses.is_dataclass(target) or leaf not in {f.name for f in dataclasses.fields(target)}:
            raise ConfigError(f"unknown config key {key!r}")
        current = getattr(target, leaf)
        if current is None:
            # An unset optional setting is parsed as the type it declares (``bool | None`` takes "true").
            declared = [kind for kind in typing.get_args(typing.get_type_hints(type(target))[leaf])
                        if kind is not type(None)]
            if len(declared) == 1 and declared[0] in (bool, int, float, str):
                current = declared[0]()
        setattr(target, leaf, _coerce(value, current, key) if isinstance(value, str) else value)
    return config
