"""Fast dumps compiled from the response models: the ``*Out`` model stays the one definition.

``Model.dump(source)`` (base.OutModel) validates a service's value with pydantic and dumps
it: on a 200-comment thread page about three times the time of a dict written by hand
(benchmarks/serialize.py), and that page is the hot read path. ``compile_dump(Model,
Source)`` reads the model's fields once, at import time, and writes the Python of a
function that builds the same JSON-ready dict straight from the attributes of ``Source``
(a service's dataclass) or the keys of a dict of them, as fast as the hand-written one:

- a field is read from its ``validation_alias`` (the first of its ``AliasChoices`` that
  ``Source`` has, as pydantic picks the first it finds) or its name, and written under its
  ``serialization_alias`` or name (``by_alias=True``);
- nested models, lists and dicts of them, optional (``X | None``) values, and times with a
  ``PlainSerializer`` (base.IsoTime) are converted as pydantic's ``mode="json"`` would;
  scalars, literals and lists or dicts of them are passed as they are (nothing is
  validated: the service's types are trusted, as a hand-written dict trusted them).

Anything else (a plain ``datetime``, an enum, an attribute ``Source`` lacks) is refused
with a TypeError when the module defining the dump is imported, so a model and its dump
cannot drift apart silently; tests/schemas/test_serialize.py compares each compiled dump
with pydantic's own for representative values.
"""

from __future__ import annotations

import dataclasses
import itertools
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any, Literal, TypeAlias, Union

from pydantic import AliasChoices, BaseModel, PlainSerializer
from pydantic.fields import FieldInfo

Dump: TypeAlias = Callable[[Any], dict[str, Any]]
# What a model is read from: a class (by attribute), or a dict's keys and their classes.
Source: TypeAlias = "type | Mapping[str, Any]"

_SCALARS = (int, str, bool, float, type(None))
_SERIALIZED_WHEN = ("always", "json", "unless-none", "json-unless-none")


class _Compiler:
    """Writes one function per (model, source) pair into a shared namespace."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self.names: dict[tuple[type[BaseModel], Any], str] = {}
        self.counter = itertools.count()
        self.sources: dict[str, str] = {}  # name -> the Python written, to read when debugging
        self.writing: set[tuple[type[BaseModel], Any]] = set()  # models being written out

    def dump_name(self, model: type[BaseModel], source: Source) -> str:
        key = _key(model, source)
        name = self.names.get(key)
        if name is None:
            name = f"dump_{model.__name__}_{next(self.counter)}"
            self.names[key] = name  # before the body: a model may contain itself
            try:
                code = f"def {name}(o):\n    return {self._display(model, source, 'o')}\n"
            except TypeError:
                del self.names[key]
                raise
            self.sources[name] = code
            # Written from the model's field names and aliases (as literals) and names of
            # this namespace, at import time: nothing from a request reaches it.
            exec(code, self.namespace)  # noqa: S102
        return name

    def _display(self, model: type[BaseModel], source: Source, base: str) -> str:
        """A dict display of ``model``'s fields read from the variable ``base``."""
        key = _key(model, source)
        self.writing.add(key)
        try:
            entries = self._entries(model, source, base)
        finally:
            self.writing.discard(key)
        return "{" + ", ".join(entries) + "}"

    def _entries(self, model: type[BaseModel], source: Source, base: str) -> list[str]:
        attributes = _attributes(source)
        entries = []
        for field_name, info in model.model_fields.items():
            read = _read_name(model, field_name, info, attributes)
            if isinstance(source, Mapping):
                access = f"{base}[{read!r}]"
            elif read.isidentifier():
                access = f"{base}.{read}"
            else:
                access = f"getattr({base}, {read!r})"
            out = info.serialization_alias or info.alias or field_name
            where = f"{model.__name__}.{field_name}"
            value = self.value(_with_metadata(info), attributes[read], access, where)
            entries.append(f"{out!r}: {value}")
        return entries

    def value(self, annotation: Any, source: Any, expr: str, where: str) -> str:
        """Python for ``expr`` (of type ``source``) dumped as ``annotation`` in JSON mode."""
        inner, metadata = _split_annotated(annotation)
        serializer = next((m for m in metadata if isinstance(m, PlainSerializer)), None)
        if serializer is not None and serializer.when_used in _SERIALIZED_WHEN:
            function = self._constant(serializer.func, "serializer")
            return f"{function}({expr})"
        if _is_optional(inner):
            rest = _without_none(inner)
            if self._is_plain(rest):
                return expr
            variable = f"v{next(self.counter)}"
            converted = self.value(rest, _without_none(source), variable, where)
            return f"(None if ({variable} := {expr}) is None else {converted})"
        if self._is_plain(inner):
            return expr
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            nested = _nested_source(source, where)
            # Written in place (one call less a comment) unless the model contains itself.
            if expr.isidentifier() and _key(inner, nested) not in self.writing:
                return self._display(inner, nested, expr)
            return f"{self.dump_name(inner, nested)}({expr})"
        origin, args = typing.get_origin(inner), typing.get_args(inner)
        if origin is list:
            item = f"x{next(self.counter)}"
            converted = self.value(args[0], _item_source(source, 0), item, where)
            return f"[{converted} for {item} in {expr}]"
        if origin is dict and args and args[0] is str:
            key, item = f"k{next(self.counter)}", f"x{next(self.counter)}"
            converted = self.value(args[1], _item_source(source, 1), item, where)
            return f"{{{key}: {converted} for {key}, {item} in {expr}.items()}}"
        raise TypeError(f"{where}: cannot compile a dump of {annotation!r}")

    def _is_plain(self, annotation: Any) -> bool:
        """Passed to JSON as it is: scalars, literals, and lists or dicts of them."""
        inner, metadata = _split_annotated(annotation)
        if any(isinstance(m, PlainSerializer) for m in metadata):
            return False
        if inner in _SCALARS:
            return True
        if isinstance(inner, type) and issubclass(inner, Enum | datetime | date | time):
            return False
        origin, args = typing.get_origin(inner), typing.get_args(inner)
        if origin is Literal:
            return all(isinstance(a, _SCALARS) and not isinstance(a, Enum) for a in args)
        if origin in (Union, types.UnionType):
            return all(self._is_plain(a) for a in args)
        if origin is list or (origin is dict and args and args[0] is str):
            return all(self._is_plain(a) for a in args)
        return False

    def _constant(self, value: Any, hint: str) -> str:
        for name, known in self.namespace.items():
            if known is value:
                return name
        name = f"{hint}_{next(self.counter)}"
        self.namespace[name] = value
        return name


_COMPILER = _Compiler()


def compile_dump(model: type[BaseModel], source: Source) -> Dump:
    """A function giving what ``model.model_validate(value).model_dump(mode="json",
    by_alias=True)`` gives for a ``value`` of ``source``, without building the model.

    ``source`` is a class read by attribute (a dataclass, or any class whose attributes
    and properties are annotated), or a dict of key -> class for a plain dict.
    Raises TypeError at once if the model has a field it cannot compile or ``source``
    has nothing to fill a field from.
    """
    dump: Dump = _COMPILER.namespace[_COMPILER.dump_name(model, source)]
    return dump


# ---- reading types ------------------------------------------------------------------


def _key(model: type[BaseModel], source: Source) -> tuple[type[BaseModel], Any]:
    return model, source if isinstance(source, type) else tuple(source.items())


def _attributes(source: Source) -> dict[str, Any]:
    """Each attribute (or key) ``source`` offers, with its annotated type."""
    if isinstance(source, Mapping):
        return dict(source)
    found: dict[str, Any] = {}
    for klass in reversed(source.__mro__):
        if klass is object:
            continue
        found.update(typing.get_type_hints(klass))
        for name, member in vars(klass).items():
            if isinstance(member, property) and member.fget is not None:
                found[name] = typing.get_type_hints(member.fget).get("return", Any)
    if dataclasses.is_dataclass(source):
        found.update({f.name: found.get(f.name, Any) for f in dataclasses.fields(source)})
    return found


def _read_name(model: type[BaseModel], field_name: str, info: FieldInfo,
               attributes: dict[str, Any]) -> str:
    alias = info.validation_alias
    if alias is None:
        choices: list[Any] = [info.alias or field_name]
    elif isinstance(alias, AliasChoices):
        choices = list(alias.choices)
    else:
        choices = [alias]
    for choice in choices:
        if not isinstance(choice, str):
            raise TypeError(f"{model.__name__}.{field_name}: only names can be compiled, "
                            f"not {choice!r}")
        if choice in attributes:
            return choice
    raise TypeError(f"{model.__name__}.{field_name}: the source has none of {choices}")


def _with_metadata(info: FieldInfo) -> Any:
    """The field's annotation with the metadata pydantic moved onto the FieldInfo."""
    annotation = info.annotation
    if info.metadata:
        return typing.Annotated[(annotation, *info.metadata)]  # type: ignore[valid-type]
    return annotation


def _split_annotated(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    if typing.get_origin(annotation) is typing.Annotated:
        return annotation.__origin__, annotation.__metadata__
    return annotation, ()


def _is_optional(annotation: Any) -> bool:
    return (typing.get_origin(annotation) in (Union, types.UnionType)
            and type(None) in typing.get_args(annotation))


def _without_none(annotation: Any) -> Any:
    if not _is_optional(annotation):
        return annotation
    rest = [a for a in typing.get_args(annotation) if a is not type(None)]
    return rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007


def _nested_source(source: Any, where: str) -> Source:
    source = _without_none(_split_annotated(source)[0])
    if source is not Any and isinstance(source, type | Mapping):
        return source
    raise TypeError(f"{where}: the source's type {source!r} names no class to read from")


def _item_source(source: Any, index: int) -> Any:
    args = typing.get_args(_without_none(_split_annotated(source)[0]))
    return args[index] if len(args) > index else Any
