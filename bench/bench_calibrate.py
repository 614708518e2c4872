"""Measured calibration speed (prints figures, asserts nothing).

Run from the repository root:

    .venv/bin/python bench/bench_calibrate.py              # about 100,000 result rows
    .venv/bin/python bench/bench_calibrate.py --rows 1000000

A results table of the requested size is generated (the seeded spring-campaign generator, scaled),
written as CSV, then timed stage by stage: reading and checking the table, calibrating every cell,
and writing calibrated.yaml, calibration.csv and calibration.xlsx. Speed is measured here, never
asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from mixopt.analysis.calibrate import calibrate
from mixopt.analysis.campaign_results import SPRING_CREATORS, generate_campaign
from mixopt.outputs.calibration_files import write_calibration
from mixopt.scenario.results import read_results
from mixopt.scenario.schema import Scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    scale = args.rows / sum(SPRING_CREATORS.values())
    campaign = generate_campaign(args.seed, {k: int(round(v * scale)) for k, v in SPRING_CREATORS.items()})
    scenario = Scenario()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "results.csv"
        campaign.table.to_csv(path, index=False)
        start = time.perf_counter()
        results = read_results([path], scenario)
        read = time.perf_counter()
        calibration = calibrate(results, scenario)
        fitted = time.perf_counter()
        write_calibration(calibration, Path(folder) / "out")
        written = time.perf_counter()
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"rows {results.rows_read:,}  creators who signed {int(results.table['signed'].sum()):,}  "
          f"cells x parameters {len(calibration.estimates)}")
    print(f"read and check  {read - start:7.3f} s")
    print(f"calibrate       {fitted - read:7.3f} s")
    print(f"write files     {written - fitted:7.3f} s")
    print(f"total           {written - start:7.3f} s")


if __name__ == "__main__":
    main()
