"""Does the default Forecaster hold up on real series? Backtests next to the baselines.

Each series is split by time: the Forecaster (defaults; only lookback, horizon and
target given) is fit on the first 80% and backtested from every origin of the last
20% (stride 1), next to the naive, seasonal-naive and damped ETS forecasts of the
same origins. Floors (issue 3): MSFT close MAE <= 1.10x naive; Seattle hourly MASE
below seasonal naive.

With --stateful, the same with `Forecaster(stateful=True)` (carried state, truncated BPTT).

Run: python benchmarks/forecaster_defaults.py [--seeds 0 1 2] [--only msft_close ...] [--stateful]
"""

import argparse
import sys

import numpy as np
import pandas as pd
from _common import Timer, ets_backtest, machine

import lstm_toolkit
from lstm_toolkit import metrics

SERIES = {
    # name: (loader, target, lookback, horizon, note)
    "msft_close": (lambda: lstm_toolkit.datasets.load("msft_daily_ohlcv"), "Close", 60, 1, "daily stock close, near random walk"),
    "seattle_hourly": (lambda: lstm_toolkit.datasets.load("seattle_hourly_temperature"), "temp", 72, 24, "hourly climate normals, smooth daily cycle (easy)"),
    "euro_equipment": (lambda: lstm_toolkit.datasets.load("euro_electrical_equipment_monthly"), "index_value", 24, 12, "short monthly index, trend + seasonality, 257 rows"),
    "seattle_daily_max": (lambda: lstm_toolkit.datasets.load("seattle_daily_weather")[["temp_max"]], "temp_max", 60, 7, "raw daily max temperature, noisy"),
    "msft_weekly": (lambda: lstm_toolkit.datasets.load("msft_daily_ohlcv")[["Close"]].resample("W-FRI").last(), "Close", 52, 4, "weekly trending readings (MSFT weekly close)"),
}


def run(name, seed, stateful=False):
    load, target, lookback, horizon, note = SERIES[name]
    df = load()
    cut = int(round(len(df) * 0.8))
    forecaster = lstm_toolkit.Forecaster(
        lookback=lookback, horizon=horizon, target=target, verbose=0, seed=seed, stateful=stateful
    )
    with Timer() as fit_time:
        forecaster.fit(df.iloc[:cut])
    table = forecaster.evaluate(df)
    results = forecaster.backtest(df)
    first = results.attrs["first_forecast_row"]
    values = df[target].to_numpy(dtype="float64")
    ets = ets_backtest(values, first, horizon, forecaster.season_length_)
    if ets is not None:
        actual = results["actual"].to_numpy()
        scale = metrics.seasonal_naive_scale(values[:first], forecaster.season_length_)
        table.loc["ets_damped"] = metrics.point_metrics(actual, ets.ravel(), scale)
    table.attrs.update(fit_seconds=fit_time.seconds, rows=len(df), note=note,
                       window_norm=forecaster.model_config_.window_norm, epochs=len(forecaster.history_["loss"]),
                       season=forecaster.season_length_)
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SERIES), default=list(SERIES))
    parser.add_argument("--stateful", action="store_true", help="Forecaster(stateful=True): truncated BPTT, O(1) streaming")
    args = parser.parse_args(argv)
    kind = "stateful=True" if args.stateful else "defaults"
    print(f"# Forecaster ({kind}) vs baselines ({machine()}, lstm_toolkit {lstm_toolkit.__version__})\n")
    summary = []
    for name in args.only:
        for seed in args.seeds:
            table = run(name, seed, stateful=args.stateful)
            a = table.attrs
            print(f"## {name} (seed {seed}): {a['note']}; {a['rows']} rows, season {a['season']}, "
                  f"window_norm={a['window_norm']}, {a['epochs']} epochs, fit {a['fit_seconds']:.0f} s")
            print(table.round(4).to_markdown() if hasattr(table, "to_markdown") and _has_tabulate() else table.round(4).to_string())
            print()
            summary.append({
                "series": name, "seed": seed,
                "model MAE / naive MAE": table.loc["model", "MAE"] / table.loc["naive", "MAE"],
                "model MASE": table.loc["model", "MASE"],
                "seasonal naive MASE": table.loc["seasonal_naive", "MASE"],
                "ETS MASE": table.loc["ets_damped", "MASE"] if "ets_damped" in table.index else np.nan,
            })
    print("## Summary")
    print(pd.DataFrame(summary).round(3).to_string(index=False))
    return 0


def _has_tabulate():
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
