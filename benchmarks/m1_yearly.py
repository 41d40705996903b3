"""Issue 35's panel of short series: the public half of M1 yearly with one global Forecaster, next to the classics.

`../shared/data/m1_yearly_odd.csv` holds 91 of M1's 181 yearly series (15-58 years). The protocol is the Monash
forecasting archive's (Godahewa et al. 2021): the last 6 years of each series are held out, every method forecasts
them from the years before, and MASE is scaled by the in-sample naive error of those years (season 1); the case's
score is the mean over series. The Forecaster is built as a user would: `Forecaster(lookback=8, horizon=6,
target="value", series_id="series", time_col="year", seed=s)` plus the configuration under test (`--config`, which
may replace the lookback too).

Beside it, on the same series: naive, drift (the line through the first and last training value), damped-trend ETS
(statsmodels `ETSModel`, additive) and Theta (statsmodels `ThetaModel`), and, when the peer venv has statsforecast
(`peers/statsforecast_panel.py`, `--peer-python`), AutoETS, AutoTheta and AutoARIMA. Reported per seed: the
model's mean MASE, the share of series it forecast, whether it kept its reference (`reference_fallback_`), the mean
MASE of the network alone when it did not, and fit seconds. `--half first|second|all` picks the half (the held-out
check: `--drop-last 6` forecasts the six years before the usual test years, a period the defaults were not
chosen on). `--augment N` trains on N copies of each series too, bootstrapped (`--augment-with bootstrap`) or
simulated from a damped ETS fit (`ets`); only the original series are scored.

Run: python benchmarks/m1_yearly.py [--seeds 0 1 2] [--config '{"ensemble": 3}'] [--peer-python ../peers-venv/bin/python]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine, quiet_fit

import lstm_toolkit

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "m1_yearly_odd.csv"
PEER_VENV = Path(__file__).resolve().parents[2] / "peers-venv" / "bin" / "python"
HORIZON, LOOKBACK = 6, 8
CLASSICS = ("naive", "drift", "ets_damped", "theta")


def load(path=DATA, half="all", drop_last=0):
    """The panel as a long frame (series, year as a timestamp, value); `half`: "all", or every other series.

    `drop_last`: leave out each series' last years first (an earlier period, for a held-out check); series left
    with fewer than 8 years are dropped.
    """
    panel = pd.read_csv(path)
    if drop_last:
        last = panel.groupby("series")["year"].transform("max")
        panel = panel[panel["year"] <= last - drop_last]
        panel = panel[panel.groupby("series")["year"].transform("size") >= 8]
    panel["year"] = pd.to_datetime(panel["year"].astype(str), format="%Y")
    keys = list(dict.fromkeys(panel["series"]))
    if half != "all":
        keys = keys[0 if half == "first" else 1 :: 2]
    return panel[panel["series"].isin(keys)].reset_index(drop=True)


def split(panel):
    """`(train, test)`: each series' last `HORIZON` years held out."""
    last = panel.groupby("series")["year"].transform("max")
    held = panel["year"] > last - pd.DateOffset(years=HORIZON)
    return panel[~held], panel[held]


def mase(actual, forecast, history):
    """MASE with the in-sample naive (season 1) MAE of `history` as the scale."""
    scale = np.mean(np.abs(np.diff(history)))
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(forecast))) / scale)


def classic_forecasts(history):
    """Naive, drift, damped ETS and Theta forecasts of one series' training values."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.forecasting.theta import ThetaModel

    steps = np.arange(1, HORIZON + 1)
    slope = (history[-1] - history[0]) / (len(history) - 1)
    forecasts = {"naive": np.repeat(history[-1], HORIZON), "drift": history[-1] + slope * steps}
    # the reference the default network corrects (window_norm="drift": the drift over the last LOOKBACK years), and
    # the same on log values (growth at the window's mean rate), for `--log`; a series with a value <= 0 (none in
    # M1) keeps the plain window drift there, so that every method is scored on every series
    forecasts["window_drift"] = window_drift(history, steps)
    forecasts["log_window_drift"] = (np.exp(window_drift(np.log(history), steps)) if np.all(history > 0)
                                     else forecasts["window_drift"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = ETSModel(history, error="add", trend="add", damped_trend=True).fit(disp=False)
            forecasts["ets_damped"] = np.asarray(fitted.forecast(HORIZON))
        except Exception:  # a fit statsmodels refuses (too short): its naive forecast, as a user would fall back
            forecasts["ets_damped"] = forecasts["naive"]
        forecasts["theta"] = np.asarray(ThetaModel(history, period=1, deseasonalize=False).fit().forecast(HORIZON))
    return forecasts


def window_drift(history, steps):
    """The last value plus the mean change over the last `LOOKBACK` values, `steps` ahead."""
    window = history[-LOOKBACK:]
    return window[-1] + (window[-1] - window[0]) / max(len(window) - 1, 1) * steps


def bootstrapped(values, copies, rng, block=8):
    """`copies` bootstrapped versions of one positive series, as Bergmeir, Hyndman & Benitez (2016) bag ETS, with no
    season: the log values split into a lowess trend and a remainder, the remainder resampled in moving blocks of
    `block` years (at most half the series) and added back to the trend."""
    from statsmodels.nonparametric.smoothers_lowess import lowess

    logs = np.log(values)
    n = len(logs)
    trend = lowess(logs, np.arange(n), frac=max(0.4, min(1.0, 6 / n)), return_sorted=False)
    remainder, block = logs - trend, max(2, min(block, n // 2))
    versions = []
    for _ in range(copies):
        starts = rng.integers(0, n - block + 1, size=n // block + 2)
        drawn = np.concatenate([remainder[start : start + block] for start in starts])
        offset = int(rng.integers(0, block))
        versions.append(np.exp(trend + drawn[offset : offset + n]))
    return versions


def simulated(values, copies, rng):
    """`copies` series simulated from a damped-trend ETS fit of `values` (multiplicative errors, from the first
    year on): a causal model, where a lowess trend is two-sided. Bergmeir's bootstrap when the fit fails."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = ETSModel(values, error="mul", trend="add", damped_trend=True).fit(disp=False)
            paths = np.asarray(fitted.simulate(len(values), anchor="start", repetitions=copies,
                                               random_state=int(rng.integers(2**31))))
        except Exception:
            return bootstrapped(values, copies, rng)
    paths = paths.reshape(len(values), copies)
    return [paths[:, k] for k in range(copies) if np.all(np.isfinite(paths[:, k])) and np.all(paths[:, k] > 0)]


def augmented(train, copies, seed, how="bootstrap"):
    """`train` plus `copies` bootstrapped versions of each series (ids "<series>~<k>"), for training only.

    A copy is made from the series' years before its last `HORIZON` (the part the Forecaster validates on), so no
    copy's trend has seen the validation years (lowess is two-sided) and the validation stays the original series'.
    """
    rng = np.random.default_rng(seed)
    parts = [train]
    for key, rows in train.groupby("series", sort=False):
        rows = rows.iloc[:-HORIZON]
        if len(rows) < 4:
            continue
        make = simulated if how == "ets" else bootstrapped
        for k, values in enumerate(make(rows["value"].to_numpy("float64"), copies, rng)):
            parts.append(rows.assign(series=f"{key}~{k}", value=values))
    return pd.concat(parts, ignore_index=True)


def peer_forecasts(train, peer_python):
    """statsforecast's forecasts `{method: {series: values}}` from the peer venv, or {} with a note when it is missing."""
    if not peer_python or not Path(peer_python).exists():
        print(f"(no statsforecast peer: {peer_python} not found)")
        return {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train.csv"
        train.rename(columns={"series": "unique_id", "year": "ds", "value": "y"}).to_csv(path, index=False)
        script = Path(__file__).resolve().parent / "peers" / "statsforecast_panel.py"
        done = subprocess.run([str(peer_python), str(script), str(path), "--horizon", str(HORIZON)],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"(statsforecast peer failed: {done.stderr.strip().splitlines()[-1:]})")
        return {}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"statsforecast {result['statsforecast']}: fit s {json.dumps(result['fit_s'])}")
    return result["forecasts"]


def baselines(train, test, peers):
    """Mean MASE of each classic (and peer) over the series: `{method: mean}`."""
    scores = {}
    for key, history in train.groupby("series", sort=False)["value"]:
        history = history.to_numpy(dtype="float64")
        actual = test.loc[test["series"] == key, "value"].to_numpy()
        forecasts = classic_forecasts(history)
        forecasts.update({method: np.asarray(by_series[key]) for method, by_series in peers.items()})
        for method, forecast in forecasts.items():
            scores.setdefault(method, []).append(mase(actual, forecast, history))
    return {method: float(np.mean(values)) for method, values in scores.items()}


def fit_forecast(train, config, seed, log=False, augment=0, how="bootstrap"):
    """`(forecaster, forecast frame, fit seconds)` of one seed of the global Forecaster the case builds, plus `config`
    (which may set another lookback). `log`, `augment`, `how`: as for `run`."""
    settings = dict(lookback=LOOKBACK, horizon=HORIZON, target="value", series_id="series", time_col="year",
                    seed=seed, verbose=0)
    forecaster = lstm_toolkit.Forecaster(**{**settings, **config})
    given = train.assign(value=np.log(train["value"])) if log else train
    seconds = quiet_fit(forecaster, augmented(given, augment, seed, how) if augment else given)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecast = forecaster.predict(given)
    if log:
        forecast["value"] = np.exp(forecast["value"])
    return forecaster, forecast, seconds


def series_scores(train, test, forecast):
    """The MASE of each series `forecast` (a long frame of series and value) forecasts the whole horizon of."""
    scores = []
    for key, history in train.groupby("series", sort=False)["value"]:
        predicted = forecast.loc[forecast["series"] == key, "value"].to_numpy()
        if len(predicted) == HORIZON:
            scores.append(mase(test.loc[test["series"] == key, "value"].to_numpy(), predicted,
                               history.to_numpy(dtype="float64")))
    return scores


def run(train, test, config, seed, log=False, augment=0, how="bootstrap"):
    """One seed of the default global Forecaster: its mean MASE over the series, share forecast, fallback, fit s.

    `log`: the Forecaster is fit on the log of the values (as a user would transform them first) and its forecasts
    exponentiated; scores are in the original units either way. `augment`: that many bootstrapped copies of each
    series join the training panel (`augmented`); only the original series are scored.
    """
    forecaster, forecast, seconds = fit_forecast(train, config, seed, log, augment, how)
    scores = series_scores(train, test, forecast)
    n_series = train["series"].nunique()
    return {"seed": seed, "model": float(np.mean(scores)), "forecast_share": len(scores) / n_series,
            "fallback": bool(getattr(forecaster, "reference_fallback_", False)), "fit_s": seconds,
            "epochs": len(forecaster.history_["loss"]), "naive_series": len(forecaster.skipped_series_)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--config", default="{}", help="Forecaster keywords as JSON")
    parser.add_argument("--half", default="all", choices=["all", "first", "second"],
                        help="all series, or every other one (first / second) for a held-out check")
    parser.add_argument("--drop-last", type=int, default=0,
                        help="leave out each series' last N years first: an earlier period, for a held-out check")
    parser.add_argument("--log", action="store_true",
                        help="fit on the log of the values and exponentiate the forecasts (every value is positive)")
    parser.add_argument("--augment", type=int, default=0,
                        help="train on N bootstrapped copies of each series too (Bergmeir et al. 2016's bagging)")
    parser.add_argument("--augment-with", default="bootstrap", choices=["bootstrap", "ets"],
                        help="how copies are made: Bergmeir's bootstrap, or paths simulated from a damped ETS fit")
    parser.add_argument("--peer-python", default=str(PEER_VENV))
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    config = json.loads(args.config)
    train, test = split(load(half=args.half, drop_last=args.drop_last))
    print(f"# M1 yearly, odd half ({train['series'].nunique()} series, {args.half}, last {args.drop_last} years left out "
          f"first), {machine()}, "
          f"config {json.dumps(config)}{', fit on log values' if args.log else ''}"
          f"{f', {args.augment} copies of each series ({args.augment_with})' if args.augment else ''}\n", flush=True)
    classics = baselines(train, test, peer_forecasts(train, args.peer_python))
    print("baselines (mean MASE over the series): " + ", ".join(f"{k} {v:.3f}" for k, v in classics.items()), flush=True)
    rows = []
    for seed in args.seeds:
        rows.append(run(train, test, config, seed, log=args.log, augment=args.augment, how=args.augment_with))
        print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in rows[-1].items()),
              flush=True)
        if args.out:
            with open(args.out, "w") as handle:
                json.dump({"config": config, "log": args.log, "augment": args.augment, "augment_with": args.augment_with, "half": args.half, "machine": machine(), "baselines": classics,
                           "rows": rows}, handle, indent=1)
    models = [row["model"] for row in rows]
    print(f"\nmodel mean MASE {np.mean(models):.3f} (spread {max(models) - min(models):.3f}), fit s "
          f"{np.mean([row['fit_s'] for row in rows]):.1f}; damped ETS {classics['ets_damped']:.3f}, drift "
          f"{classics['drift']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
