"""Past campaign results (CSV or XLSX) in, one validated row per creator out.

A results table is what a tracking export holds after a campaign: one row per creator, or one
row per post (with a ``post_id`` column) that is summed by creator. Columns, with their units:

=============== ========== =====================================================================
column          unit       meaning
=============== ========== =====================================================================
creator_id      text       the creator's handle or id (required)
platform        text       instagram, tiktok, youtube... a platform of the scenario (required)
followers       people     followers or subscribers when the campaign ran (required)
posts           posts      posts delivered (required in a per-creator table; 1 per post row)
post_id         text       one id per post: makes the table a per-post table
reach           people     unique people reached by the creator's posts (a per-post table keeps
                           the largest post's reach: people seeing several posts are not added)
impressions     views      views of the posts (summed)
engagements     actions    likes, comments, shares and saves (summed)
clicks          clicks     link or UTM clicks (summed)
conversions     orders     tracked sales: code redemptions or UTM orders (summed)
revenue         currency   revenue of those orders (summed)
fee_paid        currency   fees paid for the posts (summed)
product_cost    currency   product sent (summed)
handling_cost   currency   internal time spent on the creator (summed)
invited         creators   invitations sent (usually 1)
accepted        creators   invitations accepted (0 or 1; a row with 0 counts for acceptance only)
=============== ========== =====================================================================

Export spellings are accepted through :data:`ALIASES` (``Follower Count``, ``Orders``,
``Link Clicks``...), and ``--columns conversions="Code uses"`` maps any other header. The tier
comes from the followers and the scenario's (or the default) tier bands.

Bad rows are reported by spreadsheet row and column: negative or non-numeric counts, an empty
id, platform or follower count, a platform the scenario lacks, followers outside every tier band,
a duplicate id (or post id), more conversions than clicks (or than engagements) and more accepted
than invited. The read stops with that report, or, when asked, skips the bad rows and says how
many it skipped and why. Everything is vectorised (no Python loop over rows).

The module also applies a calibration to a scenario (``assumptions_from:``, see
:func:`apply_assumptions_from`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from mixopt.errors import Issue, ScenarioError
from mixopt.scenario.reading import (
    InputFileError,
    byte_limit,
    open_input_file,
    read_scenario_yaml,
    read_within,
)
from mixopt.scenario.schema import (
    PARAMETERS,
    AssumptionsFile,
    CellAssumptions,
    Scenario,
)

__all__ = ["COLUMNS", "ALIASES", "COUNT_COLUMNS", "MONEY_COLUMNS", "ResultsTable", "read_results",
           "parse_column_mapping", "apply_assumptions_from", "RESULTS_LIMIT_VARIABLE"]

#: Every column a results table may hold: (unit, meaning).
COLUMNS: dict[str, tuple[str, str]] = {
    "creator_id": ("text", "the creator's handle or id"),
    "platform": ("text", "platform of the posts"),
    "followers": ("people", "followers or subscribers when the campaign ran"),
    "posts": ("posts", "posts delivered"),
    "post_id": ("text", "one id per post (a per-post table)"),
    "reach": ("people", "unique people reached"),
    "impressions": ("views", "views of the posts"),
    "engagements": ("actions", "likes, comments, shares and saves"),
    "clicks": ("clicks", "link or UTM clicks"),
    "conversions": ("orders", "tracked sales (codes, UTM orders)"),
    "revenue": ("currency", "revenue of the tracked sales"),
    "fee_paid": ("currency", "fees paid for the posts"),
    "product_cost": ("currency", "product sent"),
    "handling_cost": ("currency", "internal time spent on the creator"),
    "invited": ("creators", "invitations sent"),
    "accepted": ("creators", "invitations accepted"),
}
REQUIRED = ("creator_id", "platform", "followers")
TEXT_COLUMNS = ("creator_id", "platform", "post_id")
COUNT_COLUMNS = ("posts", "reach", "impressions", "engagements", "clicks", "conversions", "invited", "accepted")
MONEY_COLUMNS = ("revenue", "fee_paid", "product_cost", "handling_cost")
_SUMMED = ("posts", "impressions", "engagements", "clicks", "conversions") + MONEY_COLUMNS

#: Common export spellings (after lower-casing and turning spaces and dashes into '_').
ALIASES: dict[str, tuple[str, ...]] = {
    "creator_id": ("id", "creator", "handle", "username", "user_name", "account", "influencer", "influencer_id",
                   "creator_handle", "influencer_handle", "profile"),
    "platform": ("network", "channel", "social_network", "social_platform"),
    "followers": ("follower_count", "followers_count", "subscribers", "subscriber_count", "audience",
                  "audience_size", "fans"),
    "posts": ("post_count", "posts_count", "number_of_posts", "deliverables", "content_pieces", "posts_delivered"),
    "post_id": ("post", "post_url", "media_id", "content_id", "post_link"),
    "reach": ("unique_reach", "accounts_reached", "reached", "total_reach"),
    "impressions": ("views", "video_views", "plays", "total_impressions", "total_views"),
    "engagements": ("engagement", "interactions", "total_engagements", "total_engagement"),
    "clicks": ("link_clicks", "utm_clicks", "sessions", "total_clicks", "swipe_ups"),
    "conversions": ("orders", "purchases", "sales", "code_redemptions", "redemptions", "code_uses"),
    "revenue": ("sales_value", "order_value", "gmv", "total_revenue", "revenue_usd"),
    "fee_paid": ("fee", "fees", "creator_fee", "amount_paid", "paid", "cost", "fee_usd"),
    "product_cost": ("gift_value", "product_value", "seeding_cost", "product"),
    "handling_cost": ("internal_cost", "handling", "management_cost"),
    "invited": ("invites", "contacted", "outreach", "offers_sent"),
    "accepted": ("signed", "accepted_offer", "accepts", "agreed"),
}

DEFAULT_MAX_RESULTS_BYTES = 500_000_000
RESULTS_LIMIT_VARIABLE = "MIXOPT_MAX_TABLE_BYTES"  # the same limit as creator tables
_MAX_LISTED = 20
_FIX_FORMAT = "Save it as CSV (UTF-8, comma separated) or XLSX with one header row"


@dataclass(frozen=True)
class ResultsTable:
    """One row per creator of a past campaign, validated; counts are NaN where the table has no column."""

    table: pd.DataFrame  # creator_id, platform, tier, followers, posts, the given columns, signed, source
    files: tuple[tuple[str, str], ...]  # (file as shown, sha256)
    rows_read: int
    skipped_rows: int = 0
    skipped: tuple[Issue, ...] = ()  # why rows were skipped (the first ones)
    given: tuple[str, ...] = ()  # optional columns some file holds
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.table)


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def parse_column_mapping(items: tuple[str, ...] | list[str], option: str = "--columns") -> dict[str, str]:
    """``NAME=COLUMN`` pairs (``conversions=Code uses``) as a mapping from mixopt's name to the header."""
    mapping: dict[str, str] = {}
    for item in items:
        name, sep, column = item.partition("=")
        name = _norm(name)
        if not sep or not column.strip():
            raise ScenarioError([Issue("(command line)", option, "not NAME=COLUMN",
                                       "Write e.g. --columns conversions='Code uses'", item)])
        if name not in COLUMNS:
            raise ScenarioError([Issue("(command line)", option, "not a results column",
                                       f"Use one of {', '.join(COLUMNS)}", name)])
        mapping[name] = column.strip()
    return mapping


def _refuse(shown: str, problem: str, fix: str = _FIX_FORMAT, path: str = "(file)") -> ScenarioError:
    return ScenarioError([Issue(shown, path, problem, fix)])


def _read_frame(path: Path, shown: str) -> tuple[pd.DataFrame, str]:
    """The file as a frame with the headers as written, and the SHA-256 of its bytes."""
    limit = byte_limit(RESULTS_LIMIT_VARIABLE, DEFAULT_MAX_RESULTS_BYTES)
    try:
        handle = open_input_file(path, limit, RESULTS_LIMIT_VARIABLE, "results table")
    except InputFileError as err:
        if err.reason == "missing":
            raise _refuse(shown, "results table not found", "Check the path and the file name") from None
        raise _refuse(shown, err.problem, err.fix) from None
    with handle:
        data = read_within(handle, limit)
    digest = hashlib.sha256(data).hexdigest()
    import io

    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            if not data.strip():
                raise _refuse(shown, "the results table is empty", "Write a header row (creator_id, platform, "
                              "followers, posts) and one row per creator")
            if data.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise _refuse(shown, "is UTF-16 text, not UTF-8", "Save it as CSV UTF-8 (comma separated)")
            header = data.split(b"\n", 1)[0].decode("utf-8-sig")
            text = {i: str for i, name in enumerate(header.split(",")) if _norm(name) in
                    {c for c in TEXT_COLUMNS} | {a for c in TEXT_COLUMNS for a in ALIASES[c]}}
            frame = pd.read_csv(io.BytesIO(data), dtype=text, keep_default_na=False, na_values=[""],
                                skipinitialspace=True, encoding="utf-8-sig")
    except ScenarioError:
        raise
    except UnicodeDecodeError:
        raise _refuse(shown, "is not UTF-8 text", "Save it as CSV UTF-8 (comma separated)") from None
    except Exception as err:  # noqa: BLE001 - a malformed CSV or workbook can fail anywhere in the parser
        first = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise _refuse(shown, f"cannot read the results table ({first})") from None
    return frame, digest


def _rename(frame: pd.DataFrame, shown: str, mapping: dict[str, str]) -> pd.DataFrame:
    """Columns renamed to mixopt's names: the --columns mapping first, then exact names, then aliases."""
    written = {str(c): c for c in frame.columns}
    normal = {_norm(c): c for c in frame.columns}
    chosen: dict[Any, str] = {}
    for name, column in mapping.items():
        found = written.get(column, normal.get(_norm(column)))
        if found is None:
            raise ScenarioError([Issue("(command line)", f"--columns {name}", f"{shown} has no column "
                                       f"'{column}'", f"Use one of its columns: {', '.join(map(str, frame.columns))}")])
        chosen[found] = name
    for name in COLUMNS:
        if name in chosen.values():
            continue
        for spelling in (name, *ALIASES[name]):
            found = normal.get(spelling)
            if found is not None and found not in chosen:
                chosen[found] = name
                break
    kept = frame[list(chosen)].copy()
    kept.columns = [chosen[c] for c in chosen]
    missing = [c for c in REQUIRED if c not in kept.columns]
    if "posts" not in kept.columns and "post_id" not in kept.columns:
        missing.append("posts")
    if missing:
        raise ScenarioError([Issue(shown, c, "column missing", f"Add a '{c}' column, or map yours with "
                                   f"--columns {c}=COLUMN") for c in missing])
    return kept


class _Problems:
    """Bad rows found so far: a row is reported once, for its first problem."""

    def __init__(self, shown: str, n: int) -> None:
        self.shown = shown
        self.bad = np.zeros(n, dtype=bool)
        self.found: list[tuple[int, Issue]] = []
        self.count = 0

    def flag(self, mask: np.ndarray, column: str, values: pd.Series, problem: str, fix: str) -> None:
        mask = mask & ~self.bad
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            return
        self.bad |= mask
        self.count += len(rows)
        for r in rows[:_MAX_LISTED]:  # each check's first rows: the first rows overall are among them
            value = values.iloc[r]
            value = float(value) if isinstance(value, (np.floating, np.integer)) else value
            self.found.append((int(r), Issue(self.shown, f"row {r + 2}, {column}", problem, fix, value)))

    @property
    def issues(self) -> list[Issue]:
        """The first bad rows in file order (spreadsheet row numbers: the header is row 1)."""
        return [issue for _row, issue in sorted(self.found, key=lambda item: item[0])[:_MAX_LISTED]]


def _text(column: pd.Series) -> pd.Series:
    return column.fillna("").astype(str).str.strip()


def _numbers(frame: pd.DataFrame, column: str, problems: _Problems, *, required: bool) -> np.ndarray:
    """A numeric column (NaN where empty), non-numbers and negative values flagged."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        values = raw.to_numpy(dtype=float, copy=True)
        empty = np.isnan(values)
    else:
        text = _text(raw).str.replace(",", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
        empty = (text == "").to_numpy() | (text.str.lower() == "nan").to_numpy()
        problems.flag(~empty & np.isnan(values), column, raw, "not a number", "Write a plain number such as 1200")
    if required:
        problems.flag(empty, column, raw, "is empty", f"Fill in {column} for every row")
    problems.flag(~np.isnan(values) & (values < 0), column, raw, "must not be negative",
                  "Fix the value or remove the row")
    return values


def _check_rows(frame: pd.DataFrame, scenario: Scenario, shown: str) -> tuple[pd.DataFrame, _Problems]:
    """Every value parsed and checked; the frame has numbers for the count and money columns."""
    n = len(frame)
    problems = _Problems(shown, n)
    ids = _text(frame["creator_id"])
    problems.flag((ids == "").to_numpy(), "creator_id", frame["creator_id"], "is empty", "Give every row a creator id")
    platform = _text(frame["platform"]).str.lower()
    problems.flag(~platform.isin(scenario.platforms).to_numpy(), "platform", frame["platform"],
                  "not a platform of this scenario",
                  f"Use one of {', '.join(scenario.platforms)}, or pass --scenario with that platform")
    per_post = "post_id" in frame.columns
    out = pd.DataFrame({"creator_id": ids.to_numpy(), "platform": platform.to_numpy()})
    if per_post:
        posts_ids = _text(frame["post_id"])
        problems.flag((posts_ids == "").to_numpy(), "post_id", frame["post_id"], "is empty", "Give every post an id")
        twice = pd.DataFrame({"a": ids, "b": posts_ids}).duplicated(keep="first").to_numpy()
        problems.flag(twice, "post_id", frame["post_id"], "duplicate post (an earlier row has this creator and post)",
                      "Keep one row per post")
        out["post_id"] = posts_ids.to_numpy()
    else:
        problems.flag(ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy(), "creator_id",
                      frame["creator_id"], "duplicate id (an earlier row has it)",
                      "Keep one row per creator, or add a post_id column for one row per post")
    out["followers"] = _numbers(frame, "followers", problems, required=True)
    for column in COUNT_COLUMNS + MONEY_COLUMNS:
        if column in frame.columns:
            out[column] = _numbers(frame, column, problems, required=column == "posts" and not per_post)
    if "posts" not in out:
        out["posts"] = 1.0
    elif per_post:
        out["posts"] = out["posts"].fillna(1.0)
    tier = np.full(n, "", dtype=object)
    for name, (low, high) in sorted(scenario.tiers.items(), key=lambda kv: kv[1][0]):
        tier[(out["followers"].to_numpy() >= low) & (out["followers"].to_numpy() < high)] = name
    problems.flag((tier == "") & ~np.isnan(out["followers"].to_numpy()), "followers", frame["followers"],
                  "outside every tier band", "Add a tier for this follower count with --scenario, or remove the row")
    out["tier"] = tier
    pairs = (("conversions", "clicks", "more conversions than clicks",
              "Conversions are counted among the clicks: check the two columns"),
             ("conversions", "engagements", "more conversions than engagements",
              "Conversions are counted per engagement: check the two columns"),
             ("accepted", "invited", "more accepted than invited", "Check the two columns"))
    for big, small, problem, fix in pairs:
        if big in out and small in out:
            over = (out[big] > out[small]).to_numpy()  # NaN compares False: a missing value is not a conflict
            problems.flag(over, big, frame[big], problem, fix)
    return out, problems


def _by_creator(rows: pd.DataFrame) -> pd.DataFrame:
    """Per-post rows summed by creator (reach: the largest post; followers: the largest count)."""
    keys = ["creator_id", "platform"]
    grouped = rows.groupby(keys, sort=False, dropna=False)
    agg: dict[str, Any] = {"followers": "max", "tier": "first"}
    agg.update({c: "sum" for c in _SUMMED if c in rows})
    agg.update({c: "max" for c in ("reach", "invited", "accepted") if c in rows})
    out = grouped.agg(agg).reset_index()
    for c in _SUMMED:  # a column empty for every post of a creator stays empty, not 0
        if c in rows:
            seen = grouped[c].count().to_numpy()
            out.loc[seen == 0, c] = np.nan
    return out


def read_results(paths: list[str | Path] | tuple[str | Path, ...], scenario: Scenario, *,
                 columns: dict[str, str] | None = None, skip_bad_rows: bool = False) -> ResultsTable:
    """Read, check and join results tables into one row per creator and file.

    Raises
    ------
    ScenarioError
        A file that cannot be read, a missing column, or bad rows when ``skip_bad_rows`` is false
        (the first 20 listed, with the count of the rest).
    """
    parts: list[pd.DataFrame] = []
    files: list[tuple[str, str]] = []
    skipped: list[Issue] = []
    issues: list[Issue] = []
    rows_read = skipped_count = 0
    given: set[str] = set()
    for path in paths:
        shown = str(path)
        frame, digest = _read_frame(Path(path), shown)
        frame = _rename(frame, shown, columns or {})
        if len(frame) == 0:
            raise ScenarioError([Issue(shown, "(rows)", "the results table has no rows",
                                       "Add one row per creator (or per post) below the header row")])
        rows, problems = _check_rows(frame, scenario, shown)
        rows_read += len(rows)
        if problems.count:
            skipped_count += problems.count
            listed = list(problems.issues)
            if problems.count > len(listed):
                listed.append(Issue(shown, "(rows)", f"{problems.count - len(listed):,} more bad rows not listed",
                                    "Fix them, or add --skip-bad-rows to skip every bad row"))
            (skipped if skip_bad_rows else issues).extend(listed)
        rows = rows[~problems.bad]
        if "post_id" in rows:
            rows = _by_creator(rows.drop(columns="post_id"))
        rows = rows.assign(source=shown)
        given |= {c for c in COUNT_COLUMNS + MONEY_COLUMNS if c in frame.columns and c != "posts"}
        files.append((shown, digest))
        parts.append(rows)
    if issues:
        raise ScenarioError(issues)
    if skipped_count and not any(len(part) for part in parts):
        first = skipped[0] if skipped else None
        why = f" (the first: {str(first).split(': ', 1)[-1].rstrip('.')})" if first is not None else ""
        raise ScenarioError([Issue(", ".join(str(p) for p in paths), "(rows)",
                                   ("its only row is" if rows_read == 1 else f"all {rows_read:,} of its rows are")
                                   + f" bad, so no results are left{why}",
                                   "Fix the rows; --skip-bad-rows only skips some of them")])
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for c in COUNT_COLUMNS + MONEY_COLUMNS:
        if c not in table:
            table[c] = np.nan
    table["signed"] = (table["posts"] > 0) | (table["accepted"] > 0)
    notes = []
    if skipped_count:
        notes.append(f"skipped {skipped_count:,} bad rows of {rows_read:,} (listed in the report)")
    order = ["creator_id", "platform", "tier", "followers", "posts", *(c for c in COUNT_COLUMNS if c != "posts"),
             *MONEY_COLUMNS, "signed", "source"]
    return ResultsTable(table=table[order], files=tuple(files), rows_read=rows_read, skipped_rows=skipped_count,
                        skipped=tuple(skipped), given=tuple(c for c in COUNT_COLUMNS + MONEY_COLUMNS if c in given),
                        notes=tuple(notes))


# ----------------------------------------------------------------------------- assumptions_from: the layer


def _file_issues(shown: str, err: ValidationError) -> list[Issue]:
    issues = []
    for item in err.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(file)"
        issues.append(Issue(shown, where, item["msg"].rstrip(".").lower(),
                            "Write the file with 'mixopt calibrate', or fix this value", item.get("input")))
    return issues


def apply_assumptions_from(scenario: Scenario, written_in: str, folder: Path | None = None) -> Scenario:
    """The scenario with the calibrated layer of ``assumptions_from:`` filled in.

    Precedence, lowest first: built-in default, calibrated value, the scenario's own tier-wide,
    platform-wide and cell values. A calibrated value is used only where the scenario sets none
    for that cell and parameter; ``calibrated_values`` records which values it set. Cells of the
    calibration that the scenario does not plan are left out; a tier whose follower band differs
    from the calibration's is an error (its rates would not mean the same creators).

    Raises
    ------
    ScenarioError
        The file cannot be read, is not a calibration, or its tier bands differ from the scenario's.
    """
    written = scenario.assumptions_from or ""
    path = Path(written)
    if not path.is_absolute():  # relative to the file that names it (``folder``: the current one for --set)
        path = (Path(written_in).parent if folder is None else folder) / path
    try:
        raw = read_scenario_yaml(path, fields=list(AssumptionsFile.model_fields), kind="calibration")
    except ScenarioError as err:
        raise ScenarioError([Issue(written_in, "assumptions_from", f"cannot be read: {err.issues[0].problem}",
                                   "Give the path of a calibrated.yaml written by 'mixopt calibrate' (relative to "
                                   "this file)", written)]) from None
    try:
        layer = AssumptionsFile.model_validate(raw.data)
    except ValidationError as err:
        raise ScenarioError(_file_issues(raw.file, err)) from None
    problems = []
    for tier, band in layer.tiers.items():
        mine = scenario.tiers.get(tier)
        if mine is not None and tuple(mine) != tuple(band):
            problems.append(Issue(written_in, f"tiers.{tier}", f"the band differs from the calibration's "
                                  f"{band[0]:,.0f}-{band[1]:,.0f} in {raw.file}", "Use the same tier bands, or "
                                  "calibrate again with --scenario this scenario", list(mine)))
    if problems:
        raise ScenarioError(problems)
    assumptions = dict(scenario.assumptions)
    labels: dict[str, str] = {}
    for tier, platform in scenario.cells:
        key = f"{tier}.{platform}"
        block = layer.assumptions.get(key)
        if block is None:
            continue
        own = [scenario.assumptions[k] for k in (tier, platform, key) if k in scenario.assumptions]
        update: dict[str, Any] = {}
        for name in (*PARAMETERS, "click_rate"):
            value = getattr(block, name, None)
            if value is not None and all(getattr(b, name, None) is None for b in own):
                update[name] = value
                labels[f"{key}.{name}"] = f"calibrated ({raw.file})"
        if "engagement_rate" in update:
            update["engagement_rate_per"] = block.engagement_rate_per or "followers"
        if update:
            assumptions[key] = (assumptions.get(key) or CellAssumptions()).model_copy(update=update)
    return scenario.model_copy(update={"assumptions": assumptions, "calibrated_values": labels})
