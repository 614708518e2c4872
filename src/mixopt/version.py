"""The installed mixopt version, for provenance in every output."""

from __future__ import annotations

import functools
from importlib import metadata

__all__ = ["mixopt_version"]


@functools.cache
def mixopt_version() -> str:
    """The installed mixopt version, for provenance."""
    try:
        return metadata.version("mixopt")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"
