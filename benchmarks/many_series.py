"""One model for many series: the global Forecaster on the US employment series vs per-series fits and baselines.

Issue 10's floor: `us_employment_monthly.csv` (23 columns: 22 sectors and nonfarm_change; monthly 2006-2015), lookback 24, horizon 12, the
last 12 months of each series as the test part. The global model's mean MASE over the series (scaled by
each series' in-sample seasonal-naive MAE) must lie below the naive's, the seasonal naive's and that of the
same Forecaster fitted separately on each series; damped additive ETS (statsmodels) is the goal.
The Forecaster keeps the last 12 training months of each series for early stopping (`validation=12`).

Run: python benchmarks/many_series.py [--seed 0] [--no-local]
"""

import argparse
import sys
import warnings

import pandas as pd
from _common import Timer, ets_backtest, machine

import lstm_toolkit
from lstm_toolkit import metrics

LOOKBACK, HORIZON, SEASON = 24, 12, 12


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-local", action="store_true", help="skip the 22 per-series fits")
    args = parser.parse_args(argv)
    wide = lstm_toolkit.datasets.load("us_employment_monthly")
    long = wide.reset_index().melt(id_vars="month", var_name="sector", value_name="jobs")
    cut = wide.index[-HORIZON]
    train = long[long["month"] < cut]
    print(f"# Many series ({machine()}, seed {args.seed}): {wide.shape[1]} series x {len(wide)} months; "
          f"test = the last {HORIZON} months\n")
    settings = dict(lookback=LOOKBACK, horizon=HORIZON, target="jobs", time_col="month", validation=12,
                    verbose=0, seed=args.seed)
    with Timer() as timer:
        global_fc = lstm_toolkit.Forecaster(series_id="sector", **settings).fit(train)
    by_series = global_fc.evaluate(long, by_series=True)
    scores = {"global LSTM Forecaster (one model)": (by_series.xs("model", level="method")["MASE"], timer.seconds)}
    scores["naive"] = (by_series.xs("naive", level="method")["MASE"], None)
    scores["seasonal naive"] = (by_series.xs("seasonal_naive", level="method")["MASE"], None)

    ets, local, local_seconds = {}, {}, 0.0
    with Timer() as ets_timer:
        for name in wide.columns:
            values = wide[name].to_numpy(dtype="float64")
            first = len(values) - HORIZON
            forecast = ets_backtest(values, first, HORIZON, SEASON)[0]
            scale = metrics.seasonal_naive_scale(values[:first], SEASON)
            ets[name] = metrics.mase(values[first:], forecast, scale)
    scores["damped additive ETS (statsmodels)"] = (pd.Series(ets), ets_timer.seconds)
    if not args.no_local:
        for name in wide.columns:
            frame = wide[[name]].rename(columns={name: "jobs"}).reset_index()
            with Timer() as timer, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = lstm_toolkit.Forecaster(**settings).fit(frame[frame["month"] < cut])
            local_seconds += timer.seconds
            local[name] = fc.evaluate(frame).loc["model", "MASE"]
            print(f"  local fit {name}: MASE {local[name]:.3f} ({timer.seconds:.0f} s)", flush=True)
        scores[f"same Forecaster fitted per series ({len(local)} models)"] = (pd.Series(local), local_seconds)

    rows = [{"method": name, "mean MASE": values.mean(), "median MASE": values.median(),
             "wall s": None if seconds is None else round(seconds)} for name, (values, seconds) in scores.items()]
    table = pd.DataFrame(rows).set_index("method")
    print(table.round(3).to_string())
    mean = table["mean MASE"]
    glob = mean.iloc[0]
    others = [m for m in mean.index if m.startswith(("naive", "seasonal naive", "same Forecaster"))]
    verdict = all(glob < mean[m] for m in others)
    print(f"\nFloor (global below naive, seasonal naive and per-series fits): {'met' if verdict else 'NOT met'}; "
          f"vs ETS {'beaten' if glob < mean['damped additive ETS (statsmodels)'] else 'not beaten'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
