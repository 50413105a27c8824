"""The model registry shared by every Spike package.

Domain packages register their models when imported, and announce the importing module in the
``spike_core.models`` entry-point group, so :func:`create_model` sees exactly the installed models
without spike-core importing any of them::

    @register_model("spikformer-8-384", family="spikformer", config=SpikformerConfig(...),
                    num_params=16_810_000)
    def _build(cfg: SpikformerConfig) -> nn.Module:
        return Spikformer(cfg)

Configs are frozen dataclasses; ``create_model(name, **overrides)`` applies the overrides with
:func:`dataclasses.replace`, so an unknown override raises.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, TypeVar

import torch
from torch import nn

__all__ = [
    "ModelEntry",
    "count_parameters",
    "create_model",
    "list_models",
    "meta_parameter_count",
    "model_entry",
    "register_model",
]

ENTRY_POINT_GROUP = "spike_core.models"
_REGISTRY: dict[str, ModelEntry] = {}
_F = TypeVar("_F", bound=Callable[..., nn.Module])


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    """One registered model.

    Attributes:
        name: registry name, e.g. ``"spikformer-8-384"``.
        family: model family, e.g. ``"spikformer"``.
        builder: callable taking the config and returning the module.
        config: the default config (a frozen dataclass instance).
        num_params: the parameter count at the default config (from the spec), if known.
        description: one line shown by ``spike models``.
    """

    name: str
    family: str
    builder: Callable[[Any], nn.Module]
    config: Any
    num_params: int | None = None
    description: str = ""


def register_model(
    name: str,
    *,
    family: str,
    config: Any,
    num_params: int | None = None,
    description: str = "",
) -> Callable[[_F], _F]:
    """Decorator registering ``builder(config) -> nn.Module`` under ``name``.

    Raises:
        ValueError: if ``name`` is already registered or ``config`` is not a dataclass instance.
    """
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise ValueError(f"config for model {name!r} must be a dataclass instance")

    def deco(builder: _F) -> _F:
        if name in _REGISTRY:
            raise ValueError(f"model name {name!r} is already registered")
        _REGISTRY[name] = ModelEntry(name, family, builder, config, num_params, description)
        return builder

    return deco


@functools.cache
def _load_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:  # a broken plug-in must not hide the others
            warnings.warn(f"could not load models from {ep.value!r}: {exc}", stacklevel=2)


def list_models(family: str | None = None) -> list[str]:
    """Registered model names (optionally of one family), sorted."""
    _load_entry_points()
    return sorted(n for n, e in _REGISTRY.items() if family is None or e.family == family)


def model_entry(name: str) -> ModelEntry:
    """The :class:`ModelEntry` of ``name``.

    Raises:
        ValueError: for an unknown name (the message lists close matches).
    """
    _load_entry_points()
    if name not in _REGISTRY:
        import difflib

        close = difflib.get_close_matches(name, _REGISTRY, n=5)
        hint = f"; did you mean {close}?" if close else f"; {len(_REGISTRY)} models are registered"
        raise ValueError(f"unknown model name {name!r}{hint}")
    return _REGISTRY[name]


def create_model(name: str, **overrides: Any) -> nn.Module:
    """Build a registered model, overriding fields of its default config.

    Args:
        name: registry name (see :func:`list_models`).
        **overrides: config fields to change, e.g. ``num_classes=10``.

    Returns:
        The model (an ``nn.Module``).

    Raises:
        ValueError: for an unknown name or an unknown override.

    Examples:
        >>> create_model("no-such-model")
        Traceback (most recent call last):
        ...
        ValueError: unknown model name 'no-such-model'...
    """
    entry = model_entry(name)
    fields = {f.name for f in dataclasses.fields(entry.config)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(
            f"unknown override(s) {unknown} for model {name!r}; config fields are {sorted(fields)}"
        )
    return entry.builder(dataclasses.replace(entry.config, **overrides))


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of parameters (elements) of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def meta_parameter_count(name: str, **overrides: Any) -> int:
    """Parameter count of a registered model built on the meta device (no memory used)."""
    with torch.device("meta"):
        model = create_model(name, **overrides)
    return count_parameters(model)
