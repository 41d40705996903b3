"""Held-out check of `SEGMENT_FROM_LOOKBACK` (168, chosen on Seattle hourly): two series it was not chosen on.

Seattle daily maximum temperature (horizon 7) and MSFT daily close (horizon 5), both at lookback 168, with the
Forecaster's default model read point by point (`architecture="stacked"`) and in segments (`"segment"`), 2 seeds,
the defaults otherwise (reference fallback on); split and backtest as in `forecast_suite.py`.

Run: python benchmarks/segment_threshold.py [--out results/segment_threshold_heldout_L168_epyc.json]
"""

import argparse
import json

import forecast_suite
from _common import machine

import lstm_toolkit

CASES = {
    "seattle_daily_max_L168": (lambda: lstm_toolkit.datasets.load("seattle_daily_weather")[["temp_max"]],
                               "temp_max", 168, 7, None, 7),
    "msft_close_L168": (lambda: lstm_toolkit.datasets.load("msft_daily_ohlcv")[["Close"]], "Close", 168, 5, None, 20),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    forecast_suite.CASES.update(CASES)
    rows = []
    for case in CASES:
        for architecture in ("stacked", "segment"):
            for seed in args.seeds:
                config = {"model": {"units": [64, 64], "architecture": architecture, "highway": "auto"}}
                row = {**forecast_suite.run_case(case, config, seed), "architecture": architecture}
                rows.append(row)
                print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    if args.out:
        with open(args.out, "w") as out:
            json.dump({"machine": machine(), "rows": rows}, out, indent=1)


if __name__ == "__main__":
    main()
