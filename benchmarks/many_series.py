"""One model for many series: the global Forecaster on the US employment series vs per-series fits and baselines.

Issue 10's floor: the 22 sector series of `us_employment_monthly.csv` (monthly 2006-2015; its 23rd column,
nonfarm_change, is the first difference of nonfarm and is left out), lookback 24, horizon 12, the last 12
months of each series as the test part. The global model's mean MASE over the series (scaled by
each series' in-sample seasonal-naive MAE) must lie below the naive's, the seasonal naive's and that of the
same Forecaster fitted separately on each series; damped additive ETS (statsmodels) is the goal. ETS is
shown twice: Holt-Winters with a damped additive trend and additive seasonality (`holtwinters`, the
issue's 0.23) and the state-space damped-trend ETS the other benchmarks use.
Every Forecaster (global or per series) has the same settings: by default no validation part and 20 epochs
(`--validation 12` keeps the last 12 training months of each series for early stopping instead);
`--embedding K` adds a learned series embedding to the global model.

Run: python benchmarks/many_series.py [--seed 0] [--no-local] [--validation 0] [--epochs 20] [--embedding 0]
     python benchmarks/many_series.py --panel 10000 [--loop 1000]   (issue 20's panel floors, see panel.py)
"""

import argparse
import sys
import warnings

import pandas as pd
from _common import Timer, ets_backtest, machine

import lstm_toolkit
from lstm_toolkit import metrics

LOOKBACK, HORIZON, SEASON = 24, 12, 12


def holt_winters(train, values, first):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(train, trend="add", damped_trend=True, seasonal="add", seasonal_periods=SEASON)
    with warnings.catch_warnings():  # statsmodels resets the filters inside fit; its convergence notes are noise here
        warnings.simplefilter("ignore")
        return model.fit().forecast(HORIZON)


def state_space_ets(train, values, first):
    return ets_backtest(values, first, HORIZON, SEASON)[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-local", action="store_true", help="skip the 22 per-series fits")
    parser.add_argument("--validation", type=int, default=0, help="validation months per series (default: 0)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs (default: 20)")
    parser.add_argument("--embedding", type=int, default=0, help="series embedding size of the global model (default: 0)")
    parser.add_argument("--panel", type=int, help="instead: issue 20's synthetic panel of this many series (see panel.py)")
    parser.add_argument("--loop", type=int, default=1000, help="with --panel: series in the series-by-series loops")
    args = parser.parse_args(argv)
    if args.panel:
        import panel

        return panel.main(args.panel, loop=args.loop, seed=args.seed)
    wide = lstm_toolkit.datasets.load("us_employment_monthly").drop(columns="nonfarm_change")
    long = wide.reset_index().melt(id_vars="month", var_name="sector", value_name="jobs")
    cut = wide.index[-HORIZON]
    train = long[long["month"] < cut]
    print(f"# Many series ({machine()}, seed {args.seed}): {wide.shape[1]} series x {len(wide)} months; "
          f"test = the last {HORIZON} months\n")
    settings = dict(lookback=LOOKBACK, horizon=HORIZON, target="jobs", time_col="month", validation=args.validation,
                    epochs=args.epochs, verbose=0, seed=args.seed)
    print(f"Forecaster settings: validation={args.validation}, epochs={args.epochs}; global model "
          f"series_embedding={args.embedding}\n")
    with Timer() as timer:
        global_fc = lstm_toolkit.Forecaster(series_id="sector", series_embedding=args.embedding, **settings).fit(train)
    by_series = global_fc.evaluate(long, by_series=True)
    scores = {"global LSTM Forecaster (one model)": (by_series.xs("model", level="method")["MASE"], timer.seconds)}
    scores["naive"] = (by_series.xs("naive", level="method")["MASE"], None)
    scores["seasonal naive"] = (by_series.xs("seasonal_naive", level="method")["MASE"], None)

    for label, method in [("damped additive ETS, Holt-Winters (statsmodels)", holt_winters),
                          ("damped additive ETS, state space (statsmodels)", state_space_ets)]:
        ets = {}
        with Timer() as ets_timer, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in wide.columns:
                values = wide[name].to_numpy(dtype="float64")
                first = len(values) - HORIZON
                scale = metrics.seasonal_naive_scale(values[:first], SEASON)
                ets[name] = metrics.mase(values[first:], method(values[:first], values, first), scale)
        scores[label] = (pd.Series(ets), ets_timer.seconds)
    local, local_seconds = {}, 0.0
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
          f"vs ETS (Holt-Winters) {'beaten' if glob < mean.iloc[3] else 'not beaten'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
