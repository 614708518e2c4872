"""PNG charts for slides: budget curve, frontier, mix by tier. Returns matplotlib Figures and
never shows them; ``save_png`` writes without a timestamp or software tag, so files repeat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mixopt.analysis.frontier import FrontierResult
from mixopt.analysis.sweep_points import SweepResult
from mixopt.tier.plan import Plan

__all__ = ["plot_sweep", "plot_frontier", "plot_mix", "save_png"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_sweep(result: SweepResult) -> Any:
    """Best objective by swept value (with the mix by tier underneath)."""
    plt = _pyplot()
    table = result.table()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    label = f"LP preview ({result.preview_bound} bound)" if not result.exact else "exact optimum"
    top.plot(table["value"], table["objective_value"], marker="o", label=label)
    top.set_ylabel(result.objective_label)
    top.set_title(f"{result.scenario.name}: best {result.objective_label} by {result.field}")
    top.legend()
    top.grid(alpha=0.3)
    bottom_values = None
    for tier in result.scenario.tier_names:
        column = f"creators_{tier}"
        if column in table and table[column].notna().any():
            values = table[column].fillna(0).to_numpy()
            bottom.bar(table["value"], values, width=_width(table["value"]), bottom=bottom_values, label=tier)
            bottom_values = values if bottom_values is None else bottom_values + values
    bottom.set_ylabel("creators")
    bottom.set_xlabel(result.field)
    if bottom_values is not None:
        bottom.legend(ncol=4, fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig


def _width(values: Any) -> float:
    steps = sorted({round(b - a, 9) for a, b in zip(values, values[1:]) if b > a})
    return 0.8 * steps[0] if steps else 1.0


def plot_frontier(result: FrontierResult) -> Any:
    """The awareness-versus-sales frontier."""
    plt = _pyplot()
    table = result.table()
    fig, ax = plt.subplots(figsize=(8, 5))
    if len(table):
        ax.plot(table[result.x], table[result.y], marker="o")
    ax.set_xlabel(result.x)
    ax.set_ylabel(result.y)
    ax.set_title(f"{result.scenario.name}: most {result.y} for each level of {result.x}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_mix(plan: Plan) -> Any:
    """Creators and spend by tier and platform."""
    plt = _pyplot()
    a = plan.allocation
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    tiers = list(plan.scenario.tier_names)
    base = None
    for platform in plan.scenario.platforms:
        part = a[a["platform"] == platform].set_index("tier").reindex(tiers)
        creators = part["creators"].fillna(0).to_numpy()
        spend = part["spend"].fillna(0).to_numpy()
        left.bar(tiers, creators, bottom=None if base is None else base[0], label=platform)
        right.bar(tiers, spend, bottom=None if base is None else base[1], label=platform)
        base = (creators, spend) if base is None else (base[0] + creators, base[1] + spend)
    left.set_ylabel("creators")
    right.set_ylabel(f"spend ({plan.scenario.currency})")
    left.legend(fontsize="small")
    fig.suptitle(f"{plan.scenario.name}: mix by tier")
    fig.tight_layout()
    return fig


def save_png(fig: Any, path: Path) -> None:
    """Write a PNG atomically with no timestamp or software tag (same inputs, same bytes)."""
    from mixopt.outputs.files import write_atomic

    plt = _pyplot()
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None}))
    plt.close(fig)
