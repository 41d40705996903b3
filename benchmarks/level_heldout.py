"""Held-out check of `level_member="auto"` (a second network that reads the window's levels, averaged in where
validation does not speak against it): series and periods it was not chosen on.

The default was chosen on `forecast_suite.py`'s short cases. This runs one network (`level_member=False`, the
default before) next to the new default on `rolling_origins.py`'s held-out short series, with the suite's protocol
(fit on the first 80%, backtest from every `stride`-th origin after it, MASE scaled by the training part's
seasonal-naive MAE): the five quarterly US change series cut at 80% of their length (horizon 8), weekly means of
four Seattle daily series (horizon 13) and MSFT's month-end close and monthly volume (horizon 24). All of them
train on fewer than 500 windows; "level" is the share of fits whose level network joined. At those horizons the
validation parts hold fewer than two horizons, where "auto" trains no level network; `--horizon short` (4, 4 and
12) leaves them two or more on the US and weekly series.

Run: python benchmarks/level_heldout.py [--horizon long|short] [--seeds 0 1] [--out F]
"""

import rolling_origins

CONFIGS = {"one network (level_member=False, before)": {"level_member": False}, "default (level_member='auto')": {}}


def main(argv=None):
    rolling_origins.held_out_main(__doc__, CONFIGS, "level_member", "level_member='auto'", argv)


if __name__ == "__main__":
    main()
