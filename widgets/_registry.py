"""The widget-type registry: ``type`` name -> spec model + pure builder.

``register`` rejects duplicates; :func:`load_builtin_widgets` imports the modules whose
decorators fill it. Nothing else holds module-level state.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from widgets._base import WidgetBase

Builder = Callable[..., Any]


@dataclass(frozen=True)
class WidgetType:
    name: str
    spec_model: type[WidgetBase]
    build: Builder
    # query_params the type always needs from its data source (e.g. a KPI's summary
    # view).
    default_params: dict[str, Any] = field(default_factory=dict)
    # ``figure(spec, data, ctx) -> go.Figure | None`` for chart types: the figure the
    # builder puts on screen (``None``: no data to draw), which reports export too.
    figure: Builder | None = None


_REGISTRY: dict[str, WidgetType] = {}


def register(
    spec_model: type[WidgetBase],
    *,
    default_params: dict[str, Any] | None = None,
    figure: Builder | None = None,
) -> Callable[[Builder], Builder]:
    """Decorator: register ``build`` for the spec model's ``type`` literal, with the
    chart types' ``figure`` function (the one ``build`` draws with)."""
    name = spec_model.model_fields["type"].default
    if not isinstance(name, str):
        raise TypeError(f"{spec_model.__name__}.type needs a Literal default")

    def decorate(build: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"widget type {name!r} is already registered")
        _REGISTRY[name] = WidgetType(
            name, spec_model, build, default_params or {}, figure
        )
        return build

    return decorate


def get(name: str) -> WidgetType:
    load_builtin_widgets()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown widget type {name!r}; expected one of "
            f"{', '.join(sorted(_REGISTRY))}"
        ) from None


def names() -> list[str]:
    load_builtin_widgets()
    return sorted(_REGISTRY)


WIDGETS_PACKAGE = "widgets"
_LOADED = False


def load_builtin_widgets() -> None:
    """Import every widget-type module of the ``widgets`` package (idempotent); each
    registers itself with :func:`register`."""
    global _LOADED
    if _LOADED:
        return
    # The widget modules import this one for ``register``: they are found by name.
    package = importlib.import_module(WIDGETS_PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        # Every public module is one widget type; shared helpers are named ``_x.py``.
        if not module.name.startswith("_"):
            importlib.import_module(f"{WIDGETS_PACKAGE}.{module.name}")
    _LOADED = True
