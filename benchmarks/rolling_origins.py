"""Held-out check of rolling-origin selection (issue 34): series and periods the defaults were not chosen on.

The default Forecaster judges a network against its reference at rolling origins when its validation part is too
short (`fitting.rolling_origin_check`). This compares it with the single split it replaced (the reference always
kept on such series; `fitting.ROLLING_ORIGINS = 0` switches the origins off) on:

- `m1`: the longer series of the public half of M1 yearly (at least `--min-years` years), each fit alone, the
  last 6 years held out (lookback 8, horizon 6): the suite chose nothing on single M1 series;
- `employment`: the 22 US employment series fit one by one, with the last 24 months dropped first, so the test
  year is the one before the suite's (lookback 24, horizon 12).

MASE is scaled by the in-sample naive (season 1 for M1) or seasonal-naive (12 for employment) MAE of the training
part. Naive, damped ETS and Theta (statsmodels) stand beside them. Reported per seed: mean MASE, the share of
series whose network was kept, and mean fit seconds.

Run: python benchmarks/rolling_origins.py [--sets m1 employment] [--seeds 0 1] [--out F]
"""

import argparse
import json
import time
import warnings

import numpy as np
import pandas as pd
from _common import machine
from m1_yearly import DATA as M1_DATA

import lstm_toolkit
from lstm_toolkit.forecasting import fitting


def m1_series(min_years):
    panel = pd.read_csv(M1_DATA)
    for key, frame in panel.groupby("series", sort=False):
        if len(frame) >= min_years:
            values = frame["value"].to_numpy(dtype="float64")
            index = pd.to_datetime(frame["year"].astype(str), format="%Y")
            yield key, pd.DataFrame({"value": values}, index=index), "value", 8, 6, 1


def employment_series(drop=24):
    frame = lstm_toolkit.datasets.load("us_employment_monthly")
    frame = frame.iloc[: len(frame) - drop]
    for column in frame.columns:
        yield column, frame[[column]], column, 24, 12, 12


def classics(history, horizon, season):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.forecasting.theta import ThetaModel

    out = {"naive": np.repeat(history[-1], horizon)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["ets_damped"] = np.asarray(ETSModel(history, error="add", trend="add", damped_trend=True).fit(disp=False)
                                       .forecast(horizon))
        out["theta"] = np.asarray(ThetaModel(history, period=season, deseasonalize=season > 1).fit().forecast(horizon))
    return out


def mase(actual, forecast, history, season):
    return float(np.mean(np.abs(actual - forecast)) / np.mean(np.abs(history[season:] - history[:-season])))


def run(series, seeds, origins_values):
    rows = []
    for key, frame, target, lookback, horizon, season in series:
        train, test = frame.iloc[:-horizon], frame[target].to_numpy()[-horizon:]
        history = train[target].to_numpy(dtype="float64")
        row = {"series": key, **{name: mase(test, f, history, season) for name, f in classics(history, horizon, season).items()}}
        for origins in origins_values:
            fitting.ROLLING_ORIGINS = origins
            for seed in seeds:
                forecaster = lstm_toolkit.Forecaster(lookback=lookback, horizon=horizon, target=target, seed=seed, verbose=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    started = time.perf_counter()
                    forecaster.fit(train)
                    seconds = time.perf_counter() - started
                    forecast = forecaster.predict(train)[target].to_numpy()
                tag = f"origins{origins}_seed{seed}"
                row[tag] = mase(test, forecast, history, season)
                row[tag + "_kept"] = float(forecaster.reference_fallback_ is None)
                row[tag + "_fit_s"] = seconds
        print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["m1", "employment"], choices=["m1", "employment"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--min-years", type=int, default=33)
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    print(f"# Rolling origins, held out ({machine()}); single split (origins 0) against {fitting.ROLLING_ORIGINS} origins")
    default = fitting.ROLLING_ORIGINS
    results = {}
    for name in args.sets:
        series = m1_series(args.min_years) if name == "m1" else employment_series()
        print(f"\n## {name}", flush=True)
        table = run(series, args.seeds, (0, default))
        results[name] = table.to_dict(orient="records")
        summary = {column: table[column].mean() for column in table.columns if column != "series"}
        print(f"{name}: {len(table)} series; mean MASE: "
              + ", ".join(f"{k} {v:.3f}" for k, v in summary.items() if not k.endswith(("_kept", "_fit_s"))))
        print("   network kept: " + ", ".join(f"{k[:-5]} {v:.2f}" for k, v in summary.items() if k.endswith("_kept"))
              + "; fit s: " + ", ".join(f"{k[:-6]} {v:.1f}" for k, v in summary.items() if k.endswith("_fit_s")))
    if args.out:
        with open(args.out, "w") as handle:
            json.dump({"machine": machine(), "results": results}, handle, indent=1)


if __name__ == "__main__":
    main()
