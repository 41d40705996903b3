"""Stacked LSTM vs attention encoder-decoder (seq2seq) on multi-step forecasts, next to the baselines.

Each series is split by time: the Forecaster (defaults apart from the
architecture) is fit on the first 80% and backtested from every origin of the
last 20%. Seattle hourly temperature (lookback 72, horizon 24) and MSFT daily
close (lookback 60, horizon 5).

With `--calendar`, Seattle only (stacked vs seq2seq with dot attention), every model also gets the hour of day as an
input (`calendar=("hour",)`); the seq2seq decoder then reads the hour of each
forecast step as well (a known-future input), the stacked model only over its window.

Run: python benchmarks/architectures.py [--seed 0] [--calendar]
"""

import argparse
import sys

import pandas as pd
from _common import Timer, machine

import lstm_toolkit
from lstm_toolkit import ModelConfig

SERIES = {
    "seattle_hourly (h=24)": (lambda: lstm_toolkit.datasets.load("seattle_hourly_temperature"), "temp", 72, 24),
    "msft_close (h=5)": (lambda: lstm_toolkit.datasets.load("msft_daily_ohlcv")[["Close"]], "Close", 60, 5),
}
ARCHITECTURES = {
    "stacked LSTM 64x64 (default)": ModelConfig(units=(64, 64)),
    "seq2seq, Luong dot attention": ModelConfig(units=(64, 64), architecture="seq2seq", attention="dot"),
    "seq2seq, Bahdanau additive attention": ModelConfig(units=(64, 64), architecture="seq2seq", attention="additive"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--calendar", action="store_true", help="Seattle only, with the hour of day as an input")
    args = parser.parse_args(argv)
    calendar = ("hour",) if args.calendar else ()
    series_list = {k: v for k, v in SERIES.items() if not args.calendar or k.startswith("seattle")}
    print(f"# Architectures ({machine()}, lstm_toolkit {lstm_toolkit.__version__}, seed {args.seed})\n")
    rows = []
    for series, (load, target, lookback, horizon) in series_list.items():
        df = load()
        cut = int(round(len(df) * 0.8))
        baselines = None
        for name, config in ARCHITECTURES.items():
            if args.calendar and "additive" in name:
                continue  # the calendar run compares the default with the Luong decoder only
            fc = lstm_toolkit.Forecaster(lookback=lookback, horizon=horizon, target=target, model=config,
                                         calendar=calendar, verbose=0, seed=args.seed)
            with Timer() as timer:
                fc.fit(df.iloc[:cut])
            table = fc.evaluate(df)
            baselines = table
            rows.append({"series": series, "model": name, "MAE": table.loc["model", "MAE"],
                         "MASE": table.loc["model", "MASE"], "epochs": len(fc.history_["loss"]),
                         "fit s": round(timer.seconds)})
        for method in ("naive", "seasonal_naive"):
            rows.append({"series": series, "model": method, "MAE": baselines.loc[method, "MAE"],
                         "MASE": baselines.loc[method, "MASE"], "epochs": None, "fit s": None})
    print(pd.DataFrame(rows).round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
