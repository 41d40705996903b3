"""Held-out check of `units="auto"` (one layer of 32 below 500 training windows): series and periods it was not chosen on.

The default was chosen on `forecast_suite.py`'s short cases. This runs the old default network (two layers of 64)
next to the new one on `rolling_origins.py`'s held-out short series, with the suite's protocol (fit on the first
80%, backtest from every `stride`-th origin after it, MASE scaled by the training part's seasonal-naive MAE):
the five quarterly US change series cut at 80% of their length (horizon 8), weekly means of four Seattle daily
series (horizon 13) and MSFT's month-end close and monthly volume (horizon 24). All of them train on fewer than
500 windows.

Run: python benchmarks/units_heldout.py [--seeds 0 1] [--out F]
"""

import rolling_origins

# The default's network before `units="auto"`: the same config with the units given.
CONFIGS = {"two of 64 (before)": {"model": {"units": [64, 64], "architecture": "auto", "highway": "auto"}},
           "auto (one of 32 here)": {}}


def main(argv=None):
    rolling_origins.held_out_main(__doc__, CONFIGS, "units", "units='auto'", argv)


if __name__ == "__main__":
    main()
