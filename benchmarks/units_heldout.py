"""Held-out check of `units="auto"` (one layer of 32 below 500 training windows): series and periods it was not chosen on.

The default was chosen on `forecast_suite.py`'s short cases. This runs the old default network (two layers of 64)
next to the new one on `rolling_origins.py`'s held-out short series, with the suite's protocol (fit on the first
80%, backtest from every `stride`-th origin after it, MASE scaled by the training part's seasonal-naive MAE):
the five quarterly US change series cut at 80% of their length (horizon 8), weekly means of four Seattle daily
series (horizon 13) and MSFT's month-end close and monthly volume (horizon 24). All of them train on fewer than
500 windows.

Run: python benchmarks/units_heldout.py [--seeds 0 1] [--out F]
"""

import argparse
import warnings

import forecast_suite as suite
import rolling_origins
from _common import machine

# The default's network before `units="auto"`: the same config with the units given.
CONFIGS = {"two of 64 (before)": {"model": {"units": [64, 64], "architecture": "auto", "highway": "auto"}},
           "auto (one of 32 here)": {}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    print(f"# units='auto', held out ({machine()}), seeds {args.seeds}")
    rows = []
    for name, cases in rolling_origins.held_out_cases("long").items():
        suite.CASES.update(cases)
        for case in cases:
            for label, config in CONFIGS.items():
                for seed in args.seeds:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        row = {"set": name, "units": label, **suite.run_case(case, config, seed)}
                    print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                          flush=True)
                    rows.append(row)
    rolling_origins.report(rows, "units", args.out, spread=True)


if __name__ == "__main__":
    main()
