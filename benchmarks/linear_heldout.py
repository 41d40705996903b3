"""Held-out check of `linear_share=0.5` (the forecast averaged with a ridge regression): series and periods it was
not chosen on.

The default was chosen on `forecast_suite.py`'s cases. This runs the network alone (`linear_share=0`, the default
before) next to the new default on `rolling_origins.py`'s held-out series, with the suite's protocol (fit on the
first 80%, backtest from every `stride`-th origin after it, MASE scaled by the training part's seasonal-naive MAE):
the five quarterly US change series cut at 80% of their length (horizon 8), weekly means of four Seattle daily
series (horizon 13) and MSFT's month-end close and monthly volume (horizon 24).

Run: python benchmarks/linear_heldout.py [--seeds 0 1] [--out F]
"""

import rolling_origins

CONFIGS = {"network alone (linear_share=0, before)": {"linear_share": 0.0}, "default (linear_share=0.5)": {}}


def main(argv=None):
    rolling_origins.held_out_main(__doc__, CONFIGS, "linear", "linear_share", argv)


if __name__ == "__main__":
    main()
