"""A progress bar that can be switched off (tests, ``--quiet``, non-interactive CI logs)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["progress_bar"]


class _Null:
    def update(self, n: int = 1) -> None:
        """Do nothing."""

    def set_postfix(self, **kwargs: Any) -> None:
        """Do nothing."""


@contextlib.contextmanager
def progress_bar(*, total: int, desc: str, enabled: bool = True) -> Iterator[Any]:
    """A tqdm bar (or a no-op object when disabled) with ``update`` and ``set_postfix``."""
    if not enabled:
        yield _Null()
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit="batch", leave=False) as bar:
        yield bar
