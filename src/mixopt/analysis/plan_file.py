"""The parts of a plan.json that ``mixopt review`` reads, checked before they are used: a plan edited by
hand (a count written as text, a missing tier, a row written twice) is refused in one line naming the
field, not read into wrong numbers or a crash."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from mixopt.errors import Issue, ScenarioError

__all__ = ["check_plan_file"]

_Count = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_Figure = Annotated[float | None, Field(allow_inf_nan=True)]  # NaN: not known
_FIX = "Give the plan.json that 'mixopt solve --out DIR' wrote, as it wrote it"


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Row(_Part):
    """What a review reads of every planned row (a cell or a creator)."""

    tier: StrictStr
    platform: StrictStr
    posts: _Count
    reach: _Figure = None
    engagements: _Figure = None
    conversions: _Figure = None
    revenue: _Figure = None
    product_cost: _Figure = None
    handling_cost: _Figure = None


class _TierRow(_Row):
    creators: _Count
    fees: _Figure = None
    fee_paid: _Figure = None


class _Assumption(_Part):
    tier: StrictStr
    platform: StrictStr
    parameter: StrictStr
    base: _Figure = None
    denominator: StrictStr | None = None


class _Provenance(_Part):
    scenario_file: StrictStr | None = None


class _TierPlan(_Part):
    allocation: list[_TierRow]
    assumptions: list[_Assumption] = []
    totals: dict[str, _Figure] = {}
    provenance: _Provenance = _Provenance()
    currency: StrictStr = "USD"


class _RosterRow(_Row):
    id: StrictStr | int
    followers: _Count
    fee_per_post: _Count


class _RosterPlan(_Part):
    mode: Literal["roster"]
    selected: list[_RosterRow]
    totals: dict[str, _Figure] = {}
    provenance: _Provenance = _Provenance()


_PROBLEMS = {"float_parsing": "is not a number", "float_type": "is not a number", "string_type": "is not text",
             "missing": "is missing", "list_type": "is not a list", "dict_type": "is not a mapping",
             "model_type": "is not a mapping", "model_attributes_type": "is not a mapping",
             "greater_than_equal": "is negative", "finite_number": "is not a finite number"}


def _where(location: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")


def check_plan_file(data: dict[str, Any], shown: str) -> None:
    """Raise ScenarioError (one line) when the parts of ``data`` that a review reads are not as mixopt writes them."""
    roster = data.get("mode") == "roster"
    try:
        plan = (_RosterPlan if roster else _TierPlan).model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        location = tuple(part for part in first["loc"] if not (isinstance(part, str) and part.startswith(
            ("function-", "nullable", "str", "int", "float"))))
        problem = _PROBLEMS.get(first["type"], first["msg"].lower())
        value = {} if first["type"] == "missing" else {"value": first["input"]}
        raise ScenarioError([Issue(shown, _where(location) or "(file)", problem, _FIX, **value)]) from None
    if isinstance(plan, _RosterPlan):
        keys = [str(row.id) for row in plan.selected]
        field, what = "selected", "creator"
    else:
        keys = [f"{row.tier}.{row.platform}" for row in plan.allocation]
        field, what = "allocation", "cell"
    if not keys:
        raise ScenarioError([Issue(shown, field, f"lists no {what}s, so the plan has nothing to review",
                                   "Review a plan that chose creators")])
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key in seen:
            raise ScenarioError([Issue(shown, f"{field}[{index}]", f"lists the {what} {key!r} a second time", _FIX)])
        seen.add(key)
