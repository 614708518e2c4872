"""Will a creator table fit in memory? An estimate made before the table is parsed.

Planning a roster holds the table, the model's arrays and the solver's copy at once: about
``BYTES_PER_CREATOR`` bytes per creator on top of ``BASE_BYTES`` (measured with ``mixopt solve``
on synthetic rosters of 1M and 5M creators; bench/bench_roster_table.py prints the figures).
The memory counted on is what the system reports as available (``MemAvailable``, or the
cgroup's limit when the process runs in a container, whichever is smaller);
``MIXOPT_MEMORY_BYTES`` states it instead (for a shared machine, or where neither is readable).
"""

from __future__ import annotations

import math
from pathlib import Path

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.reading import byte_limit

__all__ = ["check_memory", "available_memory", "memory_needed", "MEMORY_VARIABLE", "BYTES_PER_CREATOR"]

MEMORY_VARIABLE = "MIXOPT_MEMORY_BYTES"
#: Peak bytes per creator of a whole roster solve (table, model, LP, core, plan), with a margin.
BYTES_PER_CREATOR = 1_200
#: The interpreter, the libraries and a solve's fixed part.
BASE_BYTES = 400_000_000


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_available() -> int | None:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        if limit == "max":
            return None
        used = Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip()
        return max(int(limit) - int(used), 0)
    except (OSError, ValueError):
        return None


def available_memory() -> int | None:
    """Bytes this process can count on: MIXOPT_MEMORY_BYTES, else the system's figure (None if unknown)."""
    found = [v for v in (_meminfo_available(), _cgroup_available()) if v is not None]
    return byte_limit(MEMORY_VARIABLE, min(found) if found else 0) or None


def memory_needed(creators: float) -> int:
    """Bytes a roster of ``creators`` needs to be planned (an estimate, rounded up)."""
    return int(BASE_BYTES + math.ceil(creators) * BYTES_PER_CREATOR)


def _gb(count: float) -> str:
    return f"{count / 1e9:,.1f} GB"


def check_memory(shown: str, creators: float) -> None:
    """Refuse, in one line, a table of about ``creators`` rows that would not fit in memory.

    Raises
    ------
    ScenarioError
        When the estimate is above the memory available.
    """
    available = available_memory()
    if available is None:
        return
    need = memory_needed(creators)
    if need <= available:
        return
    shown_count = f"{float(f'{creators:.2g}'):,.0f}" if creators >= 100 else f"{creators:,.0f}"
    raise ScenarioError([Issue(
        shown, "(file)", f"the creator table holds about {shown_count} creators, which needs about {_gb(need)} of "
        f"memory to plan; {_gb(available)} is available",
        "Plan a smaller table (e.g. one platform or country at a time) or on a machine with more memory "
        f"({MEMORY_VARIABLE} sets the memory mixopt counts on)")])
