"""PNG charts for slides: budget curve, frontier, mix by tier. Returns matplotlib Figures and
never shows them; ``save_png`` writes without a timestamp or software tag, so files repeat.

Axes carry their units (the scenario's currency for money) and thousands separators; legends
sit outside the plotting area, under it, so they never cover data; a swept value with no plan
is marked "no plan" on the axis; a panel is drawn only when it has something to show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mixopt.analysis.frontier import FrontierResult
from mixopt.analysis.sweep_points import SweepResult
from mixopt.outputs.cells import printable
from mixopt.tier.plan import Plan

__all__ = ["plot_sweep", "plot_frontier", "plot_mix", "save_png", "axis_label"]

_MONEY = {"spend", "revenue", "profit", "budget", "commission", "fees"}
_COLOURS = ("#1F4E79", "#C55A11", "#548235", "#BF9000", "#7030A0", "#2E75B6", "#A5A5A5", "#843C0C")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def axis_label(name: str, currency: str) -> str:
    """An axis title with its unit: ``budget`` -> ``budget (USD)``; ``reach`` -> ``reach (people)``."""
    last = name.rsplit(".", 1)[-1]
    if last in _MONEY or last.endswith(("_cost", "fee_per_post")):
        return f"{name} ({currency})"
    if last.endswith(("_rate", "_share")):
        return f"{name} (share)"
    unit = {"reach": "people", "impressions": "views"}.get(last)
    return f"{name} ({unit})" if unit else name


def _thousands(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:,.2g}"))


def _legend_below(ax: Any, columns: int = 4) -> None:
    """The legend under the axes (outside the data), when there is one."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=min(columns, len(labels)),
                  fontsize="small", frameon=False)


def _no_plan_marks(ax: Any, xs: list[float]) -> None:
    """A grey cross on the x axis, labelled 'no plan', at each swept value without a plan."""
    if not xs:
        return
    ax.plot(xs, [0.0] * len(xs), linestyle="none", marker="x", markersize=8, color="#7F7F7F", clip_on=False,
            label="no plan", transform=ax.get_xaxis_transform())
    for x in xs:
        ax.annotate("no plan", (x, 0.0), xycoords=("data", "axes fraction"), xytext=(0, 8),
                    textcoords="offset points", ha="center", fontsize="x-small", color="#7F7F7F")


def plot_sweep(result: SweepResult) -> Any:
    """Best objective by swept value, with 'no plan' marks, and (for an exact sweep with plans)
    the creators by tier underneath; an LP preview has no mix, so it gets one panel."""
    plt = _pyplot()
    table = result.table()
    currency = printable(result.scenario.currency)
    tiers = [t for t in result.scenario.tier_names
             if f"creators_{t}" in table and table[f"creators_{t}"].notna().any()]
    with_mix = result.exact and bool(tiers)
    if with_mix:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    else:
        fig, top = plt.subplots(figsize=(8, 4.5))
        bottom = None
    has_plan = table["objective_value"].notna()
    label = f"LP preview ({result.preview_bound} bound)" if not result.exact else "best plan (exact optimum)"
    top.plot(table.loc[has_plan, "value"], table.loc[has_plan, "objective_value"], marker="o", color=_COLOURS[0],
             label=label)
    _no_plan_marks(top, [float(v) for v in table.loc[~has_plan, "value"]])
    top.set_ylabel(axis_label(printable(result.objective_label), currency))
    top.set_title(f"{printable(result.scenario.name)}: best {printable(result.objective_label)} by "
                  f"{printable(result.field)}", loc="left" if with_mix else "center", pad=22 if with_mix else 6)
    top.grid(alpha=0.3)
    _thousands(top.yaxis)
    _thousands(top.xaxis)
    field = axis_label(printable(result.field), currency)
    if bottom is not None:
        base = None
        for i, tier in enumerate(tiers):
            values = table[f"creators_{tier}"].fillna(0).to_numpy()
            bottom.bar(table["value"], values, width=_width(table["value"]), bottom=base, label=printable(tier),
                       color=_COLOURS[i % len(_COLOURS)])
            base = values if base is None else base + values
        bottom.set_ylabel("creators")
        bottom.set_xlabel(field)
        bottom.grid(alpha=0.3, axis="y")
        _thousands(bottom.yaxis)
        _thousands(bottom.xaxis)
        handles, names = bottom.get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=min(6, len(names)), fontsize="small", frameon=False,
                   title="creators by tier", title_fontsize="small")
        top.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize="small", frameon=False)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
    else:
        top.set_xlabel(field)
        _legend_below(top)
        fig.tight_layout()
    return fig


def _width(values: Any) -> float:
    values = list(values)
    steps = sorted({round(b - a, 9) for a, b in zip(values, values[1:]) if b > a})
    return 0.8 * steps[0] if steps else 1.0


def plot_frontier(result: FrontierResult) -> Any:
    """The awareness-versus-sales frontier; without a point, one line saying so."""
    plt = _pyplot()
    table = result.table()
    currency = printable(result.scenario.currency)
    fig, ax = plt.subplots(figsize=(8, 5))
    if len(table):
        ax.plot(table[result.x], table[result.y], marker="o", color=_COLOURS[0], label="Pareto-optimal plan")
        _legend_below(ax)
    else:
        ax.text(0.5, 0.5, "no plan at any level", ha="center", va="center", transform=ax.transAxes, color="#7F7F7F")
    ax.set_xlabel(axis_label(printable(result.x), currency))
    ax.set_ylabel(axis_label(printable(result.y), currency))
    ax.set_title(f"{printable(result.scenario.name)}: most {printable(result.y)} for each level of "
                 f"{printable(result.x)}")
    ax.grid(alpha=0.3)
    _thousands(ax.xaxis)
    _thousands(ax.yaxis)
    fig.tight_layout()
    return fig


def plot_mix(plan: Plan) -> Any:
    """Creators and spend by tier, stacked by platform, with one shared legend under both."""
    plt = _pyplot()
    a = plan.allocation
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    tiers = list(plan.scenario.tier_names)
    labels = [printable(t) for t in tiers]
    base = None
    for i, platform in enumerate(plan.scenario.platforms):
        part = a[a["platform"] == platform].set_index("tier").reindex(tiers)
        creators = part["creators"].fillna(0).to_numpy()
        spend = part["spend"].fillna(0).to_numpy()
        colour = _COLOURS[i % len(_COLOURS)]
        left.bar(labels, creators, bottom=None if base is None else base[0], label=printable(platform), color=colour)
        right.bar(labels, spend, bottom=None if base is None else base[1], color=colour)
        base = (creators, spend) if base is None else (base[0] + creators, base[1] + spend)
    left.set_ylabel("creators")
    right.set_ylabel(f"spend ({printable(plan.scenario.currency)})")
    for ax in (left, right):
        ax.grid(alpha=0.3, axis="y")
        _thousands(ax.yaxis)
    handles, names = left.get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="lower center", ncol=min(6, len(names)), fontsize="small", frameon=False)
    fig.suptitle(f"{printable(plan.scenario.name)}: mix by tier")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def save_png(fig: Any, path: Path) -> None:
    """Write a PNG atomically with no timestamp or software tag (same inputs, same bytes)."""
    from mixopt.outputs.files import write_atomic

    plt = _pyplot()
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None},
                                                     bbox_inches="tight"))
    plt.close(fig)
