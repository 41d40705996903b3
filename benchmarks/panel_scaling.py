"""The held-out check of `scaler="auto"` for many series: panels the choice was not made on.

`scaler="auto"` scales each series of a global model by its own naive error ("naive", see
`forecasting.choices.resolve_scaler`); it was chosen on M1 yearly (`m1_yearly.py`) and the global employment case
of `forecast_suite.py`. Here it meets two panels it was not chosen on, against the "standard" scaler it replaces:

- US change, quarterly (consumption, income, production, savings, unemployment: five series of 187 quarters),
  lookback 8, horizon 4;
- Seattle daily weather's four numeric columns as four series (precipitation, max and min temperature, wind;
  1,461 days), lookback 28, horizon 7.

Each is fit on its first 80% and evaluated from rolling origins over the rest (`evaluate(by_series=True)`, every
`stride`-th origin), MASE mean over the series, with the network alone (`reference_fallback=False`) and with the
defaults, 2 seeds. The naive and seasonal-naive rows are the toolkit's own.

Run: python benchmarks/panel_scaling.py [--seeds 0 1]
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from _common import machine

import lstm_toolkit

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def us_change():
    wide = pd.read_csv(DATA / "us_change_quarterly.csv")
    wide["Quarter"] = pd.PeriodIndex(wide["Quarter"].str.replace(" ", ""), freq="Q").to_timestamp()
    return wide.melt(id_vars="Quarter", var_name="series", value_name="value").rename(columns={"Quarter": "time"})


def seattle_daily():
    wide = pd.read_csv(DATA / "seattle_daily_weather.csv", parse_dates=["date"]).drop(columns="weather")
    return wide.melt(id_vars="date", var_name="series", value_name="value").rename(columns={"date": "time"})


PANELS = {"us_change": (us_change, 8, 4, 1), "seattle_daily_4": (seattle_daily, 28, 7, 7)}


def run(panel, lookback, horizon, stride, config, seed):
    cut = panel["time"].quantile(0.8)
    forecaster = lstm_toolkit.Forecaster(lookback=lookback, horizon=horizon, target="value", series_id="series",
                                         time_col="time", seed=seed, verbose=0, **config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        forecaster.fit(panel[panel["time"] <= cut])
        seconds = time.perf_counter() - started
        table = forecaster.evaluate(panel, stride=stride, by_series=True)
    mase = table["MASE"].groupby(level="method").mean()
    return {"model": mase["model"], "naive": mase["naive"], "seasonal_naive": mase["seasonal_naive"], "fit_s": seconds,
            "fallback": forecaster.reference_fallback_ is not None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args(argv)
    print(f"# scaler='auto' (naive) against 'standard' on held-out panels ({machine()})\n")
    print("| panel | scaler | fallback allowed | seed | MASE | naive | seasonal naive | kept reference | fit s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (load, lookback, horizon, stride) in PANELS.items():
        panel = load()
        for scaler in ("standard", "auto"):
            for fallback in (False, True):
                for seed in args.seeds:
                    row = run(panel, lookback, horizon, stride, {"scaler": scaler, "reference_fallback": fallback}, seed)
                    print(f"| {name} | {scaler} | {fallback} | {seed} | {row['model']:.3f} | {row['naive']:.3f} | "
                          f"{row['seasonal_naive']:.3f} | {row['fallback']} | {row['fit_s']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
