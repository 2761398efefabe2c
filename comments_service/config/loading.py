"""Reading the settings: config/default.toml, then an optional TOML file, then COMMENTS_* env.

Each layer is checked against the typed sections of config/__init__.py: an unknown
key or a wrong type fails at start-up, naming it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from comments_service.config.settings import DEFAULT_CONFIG, ENV_PREFIX, ConfigError, Settings


def _section_types() -> dict[str, type]:
    hints = typing.get_type_hints(Settings)
    return {name: hints[name] for name in (f.name for f in dataclasses.fields(Settings))}


def _merge(base: dict[str, dict[str, Any]], layer: Mapping[str, Any], origin: str) -> None:
    sections = _section_types()
    for section, values in layer.items():
        if section not in sections:
            raise ConfigError(f"{origin}: unknown section [{section}]")
        if not isinstance(values, Mapping):
            raise ConfigError(f"{origin}: [{section}] must be a table")
        known = {f.name for f in dataclasses.fields(sections[section])}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"{origin}: unknown key {section}.{key}")
            base.setdefault(section, {})[key] = value


def _coerce(raw: str, target: Any, name: str) -> Any:
    """Turn an environment variable's text into the field's type."""
    try:
        if target is bool:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if target is int:
            return int(raw)
        if target is float:
            return float(raw)
        if typing.get_origin(target) in (list, tuple):
            return json.loads(raw) if raw.strip().startswith("[") else [
                part.strip() for part in raw.split(",") if part.strip()
            ]
    except ValueError as exc:
        raise ConfigError(f"{name}: cannot read {raw!r} as {target}") from exc
    return raw


def _env_layer(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    layer: dict[str, dict[str, Any]] = {}
    for section, section_type in _section_types().items():
        hints = typing.get_type_hints(section_type)
        for f in dataclasses.fields(section_type):
            name = f"{ENV_PREFIX}{section.upper()}_{f.name.upper()}"
            if name in environ:
                layer.setdefault(section, {})[f.name] = _coerce(environ[name], hints[f.name], name)
    return layer


def _check_type(value: Any, target: Any, name: str) -> Any:
    if target is bool:
        ok = isinstance(value, bool)
    elif target is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif target is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif target is str:
        ok = isinstance(value, str)
    elif typing.get_origin(target) in (list, tuple) or isinstance(target, types.GenericAlias):
        ok = isinstance(value, list | tuple)
        value = tuple(value) if ok else value
    else:
        ok = True
    if not ok:
        raise ConfigError(f"{name}: expected {target}, got {value!r}")
    return value


def load_settings(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> Settings:
    """Build Settings from the defaults file, COMMENTS_CONFIG, COMMENTS_* env, then overrides.

    Raises ConfigError naming the offending key for unknown keys or wrong types.
    """
    environ = os.environ if environ is None else environ
    defaults = path or DEFAULT_CONFIG
    merged: dict[str, dict[str, Any]] = {}
    _merge(merged, tomllib.loads(defaults.read_text("utf-8")), str(defaults))
    extra = environ.get(f"{ENV_PREFIX}CONFIG")
    if extra:
        try:
            with Path(extra).open("rb") as fh:
                _merge(merged, tomllib.load(fh), extra)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{ENV_PREFIX}CONFIG={extra}: {exc}") from exc
    _merge(merged, _env_layer(environ), "environment")
    if overrides:
        _merge(merged, overrides, "overrides")

    sections: dict[str, Any] = {}
    for section, section_type in _section_types().items():
        hints = typing.get_type_hints(section_type)
        values = merged.get(section, {})
        kwargs = {}
        for f in dataclasses.fields(section_type):
            if f.name not in values:
                raise ConfigError(f"missing key {section}.{f.name} in the defaults file")
            kwargs[f.name] = _check_type(values[f.name], hints[f.name], f"{section}.{f.name}")
        sections[section] = section_type(**kwargs)
    return Settings(**sections)


def replace_section(settings: Settings, section: str, **changes: Any) -> Settings:
    """A copy of settings with some keys of one section changed (tests, CLI flags)."""
    return dataclasses.replace(
        settings, **{section: dataclasses.replace(getattr(settings, section), **changes)}
    )
