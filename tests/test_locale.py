"""Creator tables from other locales: semicolon and tab CSVs, decimal commas, thousands separators, workbook sheets.

The rule these tests hold the reader to (README "Numbers in creator tables"): a number is read with
the decimal mark the scenario declares (``roster.decimal``) or one detected without doubt; a
comma is a thousands separator only in groups of three; a cell that could be read two ways is
refused by row and column with the fix, and no value ever changes its size silently.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mixopt.cli.app import cli
from mixopt.errors import ScenarioError
from mixopt.roster.table import Roster, load_roster
from mixopt.scenario.load import scenario_from_dict
from mixopt.synth import synthetic_roster

DATA = Path(__file__).parent / "data" / "tables"
AMBIGUOUS_FIX = ("Add 'decimal: \",\"' under roster: if commas are decimal marks in this table (264,04 = 264.04), "
                 "or write the number with no comma (264.04, 26404).")


def _scenario(path: Path, **roster: Any) -> Any:
    return scenario_from_dict({"budget": 5000, "roster": {"file": str(path), **roster}},
                              file=str(path.parent / "scenario.yaml"))


def _load(path: Path, **roster: Any) -> Roster:
    return load_roster(_scenario(path, **roster))


def _lines(path: Path, **roster: Any) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        _load(path, **roster)
    return str(caught.value).splitlines()


def _write(tmp_path: Path, text: str, name: str = "creators.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _numbers(roster: Roster) -> dict[str, list[float]]:
    table = roster.table.set_index("id")
    return {c: [float(v) for v in table[c]] for c in ("followers", "fee_per_post", "engagement_rate")}


# ----------------------------------------------------------------------------- semicolons and decimal commas


def test_a_semicolon_export_with_decimal_commas_reads_the_same_numbers_as_the_plain_csv() -> None:
    european, plain = _load(DATA / "semicolon_decimal_comma.csv"), _load(DATA / "plain_decimal_point.csv")
    assert _numbers(european) == _numbers(plain)
    assert _numbers(european)["fee_per_post"] == [264.04, 12.0, 1200.5]
    assert "the creator table was read as separated by semicolons (its header row has no comma)" in european.notes
    assert any(note.startswith("decimal commas read in engagement_rate, fee_per_post") for note in european.notes)


def test_declaring_the_delimiter_and_the_decimal_mark_reads_the_same_numbers_without_notes() -> None:
    declared = _load(DATA / "semicolon_decimal_comma.csv", delimiter=";", decimal=",")
    assert _numbers(declared) == _numbers(_load(DATA / "plain_decimal_point.csv"))
    assert not any("semicolons" in note or "decimal commas" in note for note in declared.notes)


def test_a_tab_separated_table_is_detected_and_tab_can_be_declared(tmp_path: Path) -> None:
    path = _write(tmp_path, "id\tplatform\tfollowers\tfee_per_post\na\tinstagram\t5000\t12,5\nb\ttiktok\t800\t3\n")
    for roster in ({}, {"delimiter": "tab"}, {"delimiter": "\t", "decimal": ","}):
        assert list(_load(path, **roster).table["fee_per_post"]) == [12.5, 3.0], roster


def test_a_comma_that_could_be_a_decimal_mark_is_refused_by_row_and_column_with_the_fix(tmp_path: Path) -> None:
    path = _write(tmp_path, 'id,platform,followers,fee_per_post\na,instagram,5000,"264,04"\nb,tiktok,800,12\n')
    assert _lines(path) == [f"{path}: row 2, fee_per_post: the comma may be a decimal mark or a thousands separator "
                            f"(got '264,04'). {AMBIGUOUS_FIX}"]
    assert list(_load(path, decimal=",").table["fee_per_post"]) == [264.04, 12.0]


def test_a_thousands_separator_in_groups_of_three_keeps_the_size_of_the_number(tmp_path: Path) -> None:
    path = _write(tmp_path, 'id,platform,followers,fee_per_post\na,instagram,"26,404","1,200.50"\n'
                            'b,tiktok,"2,500","1,234,567"\n')
    table = _load(path).table
    assert list(table["followers"]) == [26404.0, 2500.0]
    assert list(table["fee_per_post"]) == [1200.5, 1234567.0]


def test_followers_beyond_every_band_after_thousands_are_still_checked(tmp_path: Path) -> None:
    path = _write(tmp_path, 'id,platform,followers\na,instagram,"1,234,567"\n')
    assert _lines(path) == [f"{path}: row 2, followers: outside every tier band of the scenario (got '1,234,567'). "
                            "Add a tier for this follower count (e.g. macro) or remove the creator."]


def test_commas_that_could_all_be_thousands_in_a_semicolon_table_are_refused_not_guessed(tmp_path: Path) -> None:
    path = _write(tmp_path, "id;platform;followers;fee_per_post\na;instagram;26,404;1,200\nb;tiktok;500;12\n")
    lines = _lines(path)
    assert lines[0] == (f"{path}: row 2, followers: the comma may be a decimal mark or a thousands separator "
                        f"(got '26,404'). {AMBIGUOUS_FIX}")
    assert len(lines) == 1  # one bad row, listed once
    assert list(_load(path, decimal=".").table["followers"]) == [26404.0, 500.0]
    assert list(_load(path, decimal=",").table["fee_per_post"]) == [1.2, 12.0]


def test_a_table_mixing_decimal_points_and_commas_has_its_comma_cells_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "id;platform;followers;fee_per_post;engagement_rate\n"
                            "a;instagram;5000;264,04;0.035\nb;tiktok;500;12;0.02\n")
    assert _lines(path) == [f"{path}: row 2, fee_per_post: the comma may be a decimal mark or a thousands separator "
                            f"(got '264,04'). {AMBIGUOUS_FIX}"]


def test_a_dot_in_a_table_declared_with_decimal_commas_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "id;platform;followers;fee_per_post\na;instagram;5000;1.234,5\nb;tiktok;500;0.5\n")
    lines = _lines(path, decimal=",")
    fix = ("Write the number with a decimal comma and no thousands separators (1234,5), or set roster.decimal to "
           "'.'.")
    assert lines == [f"{path}: row 2, fee_per_post: has a '.', but the table's decimal mark is ',' (roster.decimal) "
                     f"(got '1.234,5'). {fix}",
                     f"{path}: row 3, fee_per_post: has a '.', but the table's decimal mark is ',' (roster.decimal) "
                     f"(got '0.5'). {fix}"]


def test_a_comma_in_a_table_declared_with_decimal_points_is_refused_unless_it_groups_thousands(tmp_path: Path) -> None:
    path = _write(tmp_path, "id;platform;followers;engagement_rate\na;instagram;1,500;0,035\n")
    assert _lines(path, decimal=".") == [
        f"{path}: row 2, engagement_rate: has a comma, but the table's decimal mark is '.' (roster.decimal) "
        "(got '0,035'). Write the number with a decimal point (264.04); a comma is read only as a thousands separator "
        "in groups of three (26,404)."]


def test_a_declared_delimiter_that_does_not_split_the_header_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,platform,followers\na,instagram,5000\n")
    assert _lines(path, delimiter=";") == [
        f"{path}: (file): the header row is one column: the table is not separated by semicolons (roster.delimiter). "
        "Set roster.delimiter to the mark between the columns, or remove it."]


def test_a_header_with_no_rows_says_the_table_has_no_creators(tmp_path: Path) -> None:
    for text in ("id;platform;followers\n", "id,platform,followers\n\n\n"):
        path = _write(tmp_path, text)
        assert _lines(path) == [f"{path}: (rows): the creator table has no creators. Add one row per creator below "
                                "the header row."]


def test_bad_choices_for_the_reading_settings_name_the_field_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict({"budget": 1, "roster": {"file": "x.csv", "decimal": "comma", "delimiter": "semi"}},
                           file="s.yaml")
    assert str(caught.value).splitlines() == [
        "s.yaml: roster.decimal: is not one of the choices (got 'comma'). Write 'decimal: \",\"' for decimal commas "
        "(264,04) or 'decimal: \".\"' for decimal points.",
        "s.yaml: roster.delimiter: is not one of the choices (got 'semi'). Write 'delimiter: \";\"' (or \",\", \"|\", "
        "or tab) for the mark between the table's columns."]


def test_settings_for_another_kind_of_table_are_refused_not_ignored(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,platform,followers\na,instagram,5000\n")
    assert _lines(path, sheet="Creators") == [
        f"{tmp_path / 'scenario.yaml'}: roster.sheet: applies to XLSX workbooks only (got 'Creators'). Remove it, or "
        "name a .xlsx creator table in roster.file."]
    book = tmp_path / "creators.xlsx"
    synthetic_roster(5, 1).to_excel(book, index=False)
    assert _lines(book, delimiter=";") == [
        f"{tmp_path / 'scenario.yaml'}: roster.delimiter: applies to CSV creator tables only (got ';'). Remove it."]


def test_validate_accepts_a_european_export_and_refuses_an_ambiguous_cell_in_one_line(tmp_path: Path) -> None:
    european = (DATA / "semicolon_decimal_comma.csv").read_text(encoding="utf-8")
    _write(tmp_path, european, "eu.csv")
    good = _write(tmp_path, "budget: 5000\nroster: {file: eu.csv}\n", "good.yaml")
    result = CliRunner().invoke(cli, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    _write(tmp_path, european.replace("0,035", "0.035"), "mixed.csv")
    bad = _write(tmp_path, "budget: 5000\nroster: {file: mixed.csv}\n", "bad.yaml")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert f"{tmp_path / 'mixed.csv'}: row 2, fee_per_post: the comma may be a decimal mark or a thousands separator " \
           f"(got '264,04'). {AMBIGUOUS_FIX}" in lines
    assert sorted(line.split(": ")[1] for line in lines) == ["row 2, fee_per_post", "row 3, engagement_rate",
                                                            "row 4, engagement_rate"]


# ----------------------------------------------------------------------------- never a silent change of size


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False), min_size=1, max_size=8))
def test_numbers_written_with_decimal_commas_read_as_the_same_numbers(tmp_path_factory: pytest.TempPathFactory,
                                                                      values: list[Any]) -> None:
    folder = tmp_path_factory.mktemp("commas")
    rows = [f"c{i};instagram;5000;{str(v).replace('.', ',')}" for i, v in enumerate(values)]
    path = _write(folder, "id;platform;followers;fee_per_post\n" + "\n".join(rows) + "\n")
    read = list(_load(path, decimal=",").table["fee_per_post"])
    assert read == [float(v) for v in values]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=8),
       fraction=st.sampled_from(["", ".5", ".25"]))
def test_thousands_separators_never_change_a_number(tmp_path_factory: pytest.TempPathFactory, values: list[int],
                                                    fraction: str) -> None:
    folder = tmp_path_factory.mktemp("thousands")
    rows = [f'c{i},instagram,5000,"{v:,}{fraction}"' for i, v in enumerate(values)]
    path = _write(folder, "id,platform,followers,fee_per_post\n" + "\n".join(rows) + "\n")
    read = list(_load(path).table["fee_per_post"])
    assert read == [float(f"{v}{fraction}") for v in values]


@settings(max_examples=40, deadline=None)
@given(whole=st.integers(min_value=0, max_value=10**6), cents=st.integers(min_value=0, max_value=99),
       width=st.sampled_from([1, 2]))
def test_a_decimal_comma_is_read_or_refused_never_misread(tmp_path_factory: pytest.TempPathFactory, whole: int,
                                                          cents: int, width: int) -> None:
    folder = tmp_path_factory.mktemp("doubt")
    cell = f"{whole},{cents:0{width}d}"
    path = _write(folder, f'id,platform,followers,fee_per_post\na,instagram,5000,"{cell}"\n')
    try:
        read = float(_load(path).table["fee_per_post"].iloc[0])
    except ScenarioError as err:
        assert "the comma may be a decimal mark" in str(err)
    else:
        raise AssertionError(f"{cell} was read as {read} without a declaration")
    assert math.isclose(float(_load(path, decimal=",").table["fee_per_post"].iloc[0]),
                        float(f"{whole}.{cents:0{width}d}"), rel_tol=0, abs_tol=1e-9)


# ----------------------------------------------------------------------------- workbook sheets


def _workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_the_first_sheet_with_the_creator_columns_is_read(tmp_path: Path) -> None:
    creators = synthetic_roster(12, 3)
    book = _workbook(tmp_path / "book.xlsx", {"Summary": pd.DataFrame({"note": ["read me"]}), "Creators": creators,
                                              "Old": creators.head(4)})
    assert list(_load(book).table["id"]) == list(creators["id"])
    assert list(_load(book, sheet="Old").table["id"]) == list(creators["id"].head(4))


def test_an_unknown_sheet_names_the_field_and_lists_the_sheets(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "book.xlsx", {"Summary": pd.DataFrame({"note": ["x"]}),
                                              "Creators": synthetic_roster(3, 1)})
    assert _lines(book, sheet="creators") == [
        f"{tmp_path / 'scenario.yaml'}: roster.sheet: book.xlsx has no sheet of this name (got 'creators'). Use one "
        "of its sheets: 'Summary', 'Creators'."]


def test_a_workbook_with_no_sheet_of_creators_lists_its_sheets(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "book.xlsx", {"A": pd.DataFrame({"note": ["x"]}), "B": pd.DataFrame({"id": ["c1"]})})
    assert _lines(book) == [f"{book}: (file): no sheet has the columns id, platform and followers in its first row "
                            "(sheets: 'A', 'B'). Add them to the creators' sheet, or name it with 'sheet: NAME' under "
                            "roster:."]


def test_problems_in_a_workbook_name_the_sheet_row_and_column(tmp_path: Path) -> None:
    creators = synthetic_roster(6, 2).astype({"followers": str, "fee_per_post": str})
    creators.loc[3, "followers"] = "lots"
    creators.loc[4, "fee_per_post"] = "264,04"
    book = _workbook(tmp_path / "book.xlsx", {"Notes": pd.DataFrame({"x": [1]}), "Creators": creators})
    assert _lines(book) == [
        f"{book}: sheet 'Creators', row 5, followers: not a number (got 'lots'). Write a plain number such as 0.035 or "
        "1200.",
        f"{book}: sheet 'Creators', row 6, fee_per_post: the comma may be a decimal mark or a thousands separator "
        f"(got '264,04'). {AMBIGUOUS_FIX}"]
    assert _lines(book, sheet="Notes")[0] == (f"{book}: sheet 'Notes', id: column missing. Add a 'id' column (header "
                                              "row).")


def test_a_sheet_with_a_header_and_no_rows_says_so(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "book.xlsx", {"Creators": synthetic_roster(3, 1).head(0)})
    assert _lines(book) == [f"{book}: sheet 'Creators': the creator table has no creators. Add one row per creator "
                            "below the header row."]
