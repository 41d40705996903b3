"""The forecasting suite that chooses the Forecaster's defaults: shipped public series, the settings a user would pick.

Every case is split by time: the Forecaster, built as a user would (`lookback`, `horizon`, `target`, `seed`, plus
the configuration under test), is fit on the first part and backtested from rolling origins after it (every
`stride`-th row). On the same origins come the seasonal naive forecast, damped-trend ETS (statsmodels' state-space
model, parameters fit on the training part) and the Theta method (statsmodels' `ThetaModel`, refit at each origin).
MASE is scaled by the in-sample seasonal-naive MAE of the training part, as `Forecaster.evaluate` does. Each case
runs with 3 seeds by default; fit seconds on this machine are reported next to the accuracy. "reference" is the MASE
of the model's reference forecast alone (the forecast its window normalisation corrects: naive, naive + drift,
seasonal naive, seasonal naive + change), "level" the share of fits (of series) whose level network joined the forecast
(`Forecaster(level_member="auto")`), "fallback" the share of fits (of series, for the 22 fit one by one) that
kept that reference because the network did worse on validation (`Forecaster(reference_fallback=True)`).

The cases:
- Seattle hourly temperature (to 2010-10-19 16:00, fit to 2010-08-22 08:00: the source's first 7,000 and 5,600 rows)
  at lookback 72, 168 and 336, horizon 24 and 48;
- Seattle daily maximum temperature (lookback 60, horizon 7);
- the euro-area electrical equipment index, monthly, 257 rows (lookback 24, horizon 12);
- MSFT daily close (lookback 60, horizon 5);
- the 22 US employment series one by one (lookback 24, horizon 12, the last 12 months as test; the case's MASE is
  the mean over the 22 series), and the same 22 series with one global model (`series_id`);
- the series users bring (issue 34, `user_series.py`): lynx, shampoo, PBS scripts (with Croston SBA beside it),
  US change (consumption with four past covariates, and each of the five alone), Seattle daily minimum
  temperature, wind and precipitation, MSFT daily volume. The default run leaves out Seattle hourly at lookback
  168 (`--cases` still takes it): one smooth series should not be six cases;
- the public half of M1 yearly (91 series of 15-58 years) with one global model, the last 6 years held out
  (lookback 8, horizon 6; `m1_yearly.py`, which adds drift and statsforecast's AutoETS/AutoTheta/AutoARIMA;
  here "seasonal_naive" is the naive forecast, the season being 1).

Configurations: `--config defaults` (the constructor's defaults), `--config v7` (the defaults before issue 21:
stacked LSTM, no ensemble, no refit) or `--config '{"ensemble": 3}'` (any Forecaster keywords as JSON; a
`lookback` there replaces the case's, and the backtest origins stay the case's).
`--out results.json` keeps the rows; `--compare a.json b.json ...` prints their summaries side by side.

Run: python benchmarks/forecast_suite.py [--config defaults] [--seeds 0 1 2] [--cases seattle_L72_H24 ...] [--out F]
"""

import argparse
import dataclasses
import functools
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import m1_yearly
import numpy as np
import pandas as pd
import user_series
from _common import ets_backtest, machine, quiet_fit

import lstm_toolkit
from lstm_toolkit import metrics
from lstm_toolkit.models import REFERENCE_NORMS, reference_forecast

# Seattle hourly: up to 2010-10-19 16:00, fit up to 2010-08-22 08:00 (the source's first 7,000 and 5,600 rows; `load`
# now fills the hour the source skips in March, so the same span is one row longer and the origins keep their hours).
SEATTLE_END, SEATTLE_FIT_END = "2010-10-19 16:00", "2010-08-22 08:00"
# Explicit keywords that rebuild the defaults before issue 21.
CONFIGS = {
    "defaults": {},
    "v7": {"model": {"architecture": "stacked", "units": [64, 64], "window_norm": "auto"}, "ensemble": 1, "refit": False},
}


def _seattle_hourly():
    return lstm_toolkit.datasets.load("seattle_hourly_temperature").loc[:SEATTLE_END]


def fit_rows_of(data, fit_rows):
    """The rows a case fits on: `fit_rows` rows, up to and with the timestamp `fit_rows`, or (None) 80% of `data`."""
    if isinstance(fit_rows, str):
        return len(data.loc[:fit_rows])
    return fit_rows or int(round(len(data) * 0.8))


def _cases():
    """name -> (loader, target, lookback, horizon, fit rows (a count, the last timestamp, or None: 80%), stride,
    Forecaster keywords)."""
    cases = {}
    for lookback in (72, 168, 336):
        for horizon in (24, 48):
            cases[f"seattle_L{lookback}_H{horizon}"] = (_seattle_hourly, "temp", lookback, horizon, SEATTLE_FIT_END, 24,
                                                           {})
    cases["seattle_daily_max"] = (lambda: lstm_toolkit.datasets.load("seattle_daily_weather")[["temp_max"]],
                                  "temp_max", 60, 7, None, 7, {})
    cases["euro_equipment"] = (lambda: lstm_toolkit.datasets.load("euro_electrical_equipment_monthly"),
                               "index_value", 24, 12, None, 1, {})
    cases["msft_close"] = (lambda: lstm_toolkit.datasets.load("msft_daily_ohlcv")[["Close"]], "Close", 60, 5, None, 20,
                           {})
    return {**cases, **user_series.cases()}


CASES = _cases()
# Issue 34: Seattle hourly (a smooth climate-normal year) is four cases of the default run, not six.
DEFAULT_CASES = [name for name in CASES if not name.startswith("seattle_L168")]
EMPLOYMENT = ("us_employment_each", "us_employment_global")
PANELS = ("m1_yearly_global",)
LOOKBACK_EMP, HORIZON_EMP = 24, 12
BASELINES = ("seasonal_naive", "ets_damped", "theta", "holt_winters", "croston_sba", "AutoETS", "AutoTheta", "AutoARIMA")
PEER_VENV = Path(__file__).resolve().parents[2] / "peers-venv" / "bin" / "python"
INTERMITTENT = ("pbs_scripts",)  # cases that also get Croston (SBA)


def theta_backtest(values, origins, horizon, season_length):
    """statsmodels' Theta method refit on values[:origin + 1] at each origin (additive deseasonalising)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    period = season_length if 1 < season_length and len(values) > 2 * season_length else 1
    forecasts = []
    for origin in origins:
        model = ThetaModel(values[: origin + 1], period=period, deseasonalize=period > 1, method="additive")
        forecasts.append(np.asarray(model.fit().forecast(horizon)))
    return np.stack(forecasts)


def _baseline_mase(values, first, origins, actual, horizon, season):
    """MASE of seasonal naive, damped ETS and Theta at `origins` (rows), scaled on values[:first]."""
    scale = metrics.seasonal_naive_scale(values[:first], season)
    rows = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    lagged = rows - season * ((np.arange(horizon) // season) + 1)[None, :]
    out = {"seasonal_naive": metrics.mase(actual, values[lagged], scale)}
    ets = ets_backtest(values, first, horizon, season)
    out["ets_damped"] = metrics.mase(actual, ets[origins - (first - 1)], scale)
    out["theta"] = metrics.mase(actual, theta_backtest(values, origins, horizon, season), scale)
    return out


@functools.lru_cache(maxsize=None)
def statsforecast_mase(name, peer_python):
    """statsforecast's AutoETS / AutoTheta / AutoARIMA MASE at the case's own origins (`peers/statsforecast_origins.py`,
    in the peer venv; the same for every seed, so run once); {} when the peer venv is missing."""
    if not peer_python or not Path(peer_python).exists():
        return {}
    load, target, lookback, horizon, fit_rows, stride, _ = CASES[name]
    data = load()
    values = data[target].to_numpy(dtype="float64")
    first = max(fit_rows_of(data, fit_rows), lookback)
    origins = np.arange(first - 1, len(values) - horizon, stride)
    season = lstm_toolkit.data.season_length_for(lstm_toolkit.data.infer_frequency(data.index))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "series.csv"
        pd.DataFrame({"y": values[: origins[-1] + 1 + horizon]}).to_csv(path, index=False)
        script = Path(__file__).resolve().parent / "peers" / "statsforecast_origins.py"
        done = subprocess.run([str(peer_python), str(script), str(path), "--horizon", str(horizon), "--season",
                               str(season), "--n-windows", str(len(origins)), "--step", str(stride)],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"  (statsforecast failed on {name}: {done.stderr.strip().splitlines()[-1:]})", flush=True)
        return {}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    actual = values[origins[:, None] + np.arange(1, horizon + 1)[None, :]]
    scale = metrics.seasonal_naive_scale(values[:first], season)
    return {method: metrics.mase(actual, np.asarray(forecast), scale) if forecast is not None else float("nan")
            for method, forecast in result["forecasts"].items()}


def training_part(name, data):
    """The rows of case `name`'s series `data` its Forecaster is fit on (`fit_rows_of`)."""
    return data.iloc[: fit_rows_of(data, CASES[name][4])]


def fit_case(name, config, seed):
    """`(forecaster, data, fit seconds)`: the default Forecaster of case `name` with `config` on top of the case's
    settings, fit as a user would on the case's `training_part` (`quiet_fit`); `data` is the whole series."""
    load, target, lookback, horizon, _, _, keywords = CASES[name]
    data = load()
    forecaster = lstm_toolkit.Forecaster(horizon=horizon, target=target, seed=seed, verbose=0,
                                         **{"lookback": lookback, **keywords, **config})
    return forecaster, data, quiet_fit(forecaster, training_part(name, data))


def fit_and_forecast(name, config, seed):
    """`(fit seconds, the forecast from the end of the training part, flat)` of `fit_case`, its warnings silenced."""
    forecaster, data, seconds = fit_case(name, config, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return seconds, forecaster.predict(training_part(name, data)).to_numpy().ravel()


@dataclasses.dataclass(frozen=True)
class CaseBacktest:
    """`fit_case` and its backtest from the case's origins: the fit, the whole series' `values`, the first forecast
    row, the origins (rows), the actual and forecast values `(origins, horizon)` and the MASE scale."""

    forecaster: object
    seconds: float
    values: np.ndarray
    first: int
    origins: np.ndarray
    actual: np.ndarray
    forecast: np.ndarray
    scale: float


def backtest_case(name, config, seed):
    """The `CaseBacktest` of case `name` with `config` on top of its settings, at `seed`."""
    _, target, _, horizon, _, stride, _ = CASES[name]
    forecaster, data, seconds = fit_case(name, config, seed)
    results = forecaster.backtest(data, stride=stride)
    first = results.attrs["first_forecast_row"]
    values = data[target].to_numpy(dtype="float64")
    origins = np.arange(first - 1, len(values) - horizon, stride)
    actual = results["actual"].to_numpy().reshape(len(origins), horizon)
    return CaseBacktest(forecaster, seconds, values, first, origins, actual,
                        results["forecast"].to_numpy().reshape(actual.shape),
                        metrics.seasonal_naive_scale(values[:first], forecaster.season_length_))


def run_case(name, config, seed, peer_python=None):
    horizon = CASES[name][3]
    case = backtest_case(name, config, seed)
    forecaster, values, origins, actual, scale = case.forecaster, case.values, case.origins, case.actual, case.scale
    row = {"case": name, "seed": seed, "fit_s": case.seconds, "epochs": len(forecaster.history_["loss"]),
           "model": metrics.mase(actual, case.forecast, scale), **_reference(forecaster, values, origins, actual, scale)}
    row.update(_baseline_mase(values, case.first, origins, actual, horizon, forecaster.season_length_))
    if name in INTERMITTENT:
        row["croston_sba"] = metrics.mase(actual, user_series.croston_backtest(values, origins, horizon), scale)
    row.update(statsforecast_mase(name, peer_python))
    return row


def _reference(forecaster, values, origins, actual, scale):
    """The MASE of the model's reference forecast alone (its window normalisation's, `models.reference_forecast`) and
    whether the fit kept that reference instead of the network (`reference_fallback_`: 1, else 0)."""
    config, lookback = forecaster.model_config_, forecaster.spec_.lookback
    fallback = float(forecaster.reference_fallback_ is not None)
    if config.window_norm not in REFERENCE_NORMS:
        return {"reference": float("nan"), "fallback": fallback, "level": _level_joined(forecaster)}
    windows = values[origins[:, None] + np.arange(1 - lookback, 1)[None, :]][..., None]
    forecast = np.asarray(reference_forecast(windows, config.window_norm, actual.shape[1], config.season_length,
                                             config.smoothing))[..., 0]
    return {"reference": metrics.mase(actual, np.broadcast_to(forecast, actual.shape), scale), "fallback": fallback,
            "level": _level_joined(forecaster)}


def _level_joined(forecaster):
    """1 when the level network joined the forecast (`level_member_`), else 0."""
    return float(bool((forecaster.level_member_ or {}).get("joined")))


def _employment():
    wide = lstm_toolkit.datasets.load("us_employment_monthly").drop(columns="nonfarm_change")
    return wide


def holt_winters_mase(values, fit_rows):
    """Damped additive Holt-Winters (statsmodels) on a monthly series' training part: issue 21's 0.233 reference."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(values[:fit_rows], trend="add", damped_trend=True, seasonal="add", seasonal_periods=12)
    forecast = model.fit().forecast(HORIZON_EMP)
    return metrics.mase(values[fit_rows:fit_rows + HORIZON_EMP], forecast, metrics.seasonal_naive_scale(values[:fit_rows], 12))


def _employment_baselines(values, fit_rows):
    actual = values[fit_rows:fit_rows + HORIZON_EMP][None, :]
    scores = _baseline_mase(values, fit_rows, np.array([fit_rows - 1]), actual, HORIZON_EMP, 12)
    return {**scores, "holt_winters": holt_winters_mase(values, fit_rows)}


@functools.lru_cache(maxsize=1)
def _employment_classics():
    """`{series: _employment_baselines}` at each series' last-year origin: the same for every seed and configuration,
    so fit once (Holt-Winters and ETS on 22 series)."""
    wide = _employment()
    return {c: _employment_baselines(wide[c].to_numpy(dtype="float64"), len(wide) - HORIZON_EMP) for c in wide.columns}


def run_employment_each(config, seed):
    """The 22 series one by one: one Forecaster per series, the last 12 months as test; means over the series."""
    wide = _employment()
    rows, seconds = [], 0.0
    for column in wide.columns:
        frame = wide[[column]].rename(columns={column: "jobs"})
        fit_rows = len(frame) - HORIZON_EMP
        forecaster = lstm_toolkit.Forecaster(horizon=HORIZON_EMP, target="jobs", seed=seed, verbose=0,
                                             **{"lookback": LOOKBACK_EMP, **config})
        start = time.perf_counter()
        forecaster.fit(frame.iloc[:fit_rows])
        seconds += time.perf_counter() - start
        values = frame["jobs"].to_numpy(dtype="float64")
        forecast = forecaster.predict(frame.iloc[:fit_rows])["jobs"].to_numpy()[None, :]
        actual = values[fit_rows:][None, :]
        scale = metrics.seasonal_naive_scale(values[:fit_rows], 12)
        row = {"model": metrics.mase(actual, forecast, scale), "epochs": len(forecaster.history_["loss"]),
               **_reference(forecaster, values, np.array([fit_rows - 1]), actual, scale)}
        rows.append({**row, **_employment_classics()[column]})
    means = pd.DataFrame(rows).mean()
    return {"case": "us_employment_each", "seed": seed, "fit_s": seconds, **means.to_dict()}


def run_employment_global(config, seed):
    """One global model of the 22 series with the constructor's defaults (issue 21's floor: beat damped ETS)."""
    wide = _employment()
    long = wide.reset_index().melt(id_vars="month", var_name="sector", value_name="jobs")
    cut = wide.index[-HORIZON_EMP]
    forecaster = lstm_toolkit.Forecaster(horizon=HORIZON_EMP, target="jobs", series_id="sector", time_col="month",
                                         seed=seed, verbose=0, **{"lookback": LOOKBACK_EMP, **config})
    start = time.perf_counter()
    forecaster.fit(long[long["month"] < cut])
    seconds = time.perf_counter() - start
    by_series = forecaster.evaluate(long, by_series=True)
    baselines = pd.DataFrame(list(_employment_classics().values())).mean()
    fit_rows = len(wide) - HORIZON_EMP
    references = pd.DataFrame([
        _reference(forecaster, values, np.array([fit_rows - 1]), values[None, fit_rows:],
                   metrics.seasonal_naive_scale(values[:fit_rows], 12))
        for values in (wide[c].to_numpy(dtype="float64") for c in wide.columns)]).mean()
    return {"case": "us_employment_global", "seed": seed, "fit_s": seconds, "epochs": len(forecaster.history_["loss"]),
            "model": by_series.xs("model", level="method")["MASE"].mean(), **references.to_dict(), **baselines.to_dict()}


@functools.lru_cache(maxsize=1)
def _m1():
    """M1 yearly's public half, split (`m1_yearly.py`), and the classics' mean MASE on it (once for all seeds)."""
    train, test = m1_yearly.split(m1_yearly.load())
    return train, test, m1_yearly.baselines(train, test, {})


def run_m1_global(config, seed):
    """Issue 35's panel of short series: one global model of M1 yearly's public half (`m1_yearly.py`, with peers)."""
    train, test, classics = _m1()
    row = m1_yearly.run(train, test, config, seed)
    return {"case": "m1_yearly_global", "seed": seed, "fit_s": row["fit_s"], "epochs": row["epochs"],
            "model": row["model"], "fallback": float(row["fallback"]), "seasonal_naive": classics["naive"],
            "ets_damped": classics["ets_damped"], "theta": classics["theta"]}


def summary(rows):
    """Per case: mean MASE over seeds, seed spread (max - min), mean fit seconds, and the baselines."""
    frame = pd.DataFrame(rows)
    grouped = frame.groupby("case", sort=False)
    table = pd.DataFrame({
        "model": grouped["model"].mean(),
        "spread": grouped["model"].max() - grouped["model"].min(),
        "fit_s": grouped["fit_s"].mean(),
        "epochs": grouped["epochs"].mean(),
        **{name: grouped[name].mean() for name in ("reference", "fallback", "level", *BASELINES) if name in frame},
    })
    table.loc["mean (cases)"] = table.mean(numeric_only=True)
    return table


def side_by_side(before, after):
    """Two summaries' MASE, seed spread and fit seconds per case, with the baselines once.

    Cases only one side ran are shown with a blank for the other; the mean row is over the cases both ran.
    """
    before, after = before.drop(index="mean (cases)"), after.drop(index="mean (cases)")
    cases = list(before.index) + [case for case in after.index if case not in before.index]
    before, after = before.reindex(cases), after.reindex(cases)
    for name in BASELINES:
        if name in after and name in before:
            after[name] = after[name].fillna(before[name])
    table = pd.DataFrame({
        "MASE before": before.loc[cases, "model"], "MASE after": after.loc[cases, "model"],
        "spread before": before.loc[cases, "spread"], "spread after": after.loc[cases, "spread"],
        "fit s before": before.loc[cases, "fit_s"], "fit s after": after.loc[cases, "fit_s"],
        **{name: after.loc[cases, name] for name in BASELINES if name in after},
    })
    both = table.dropna(subset=["MASE before", "MASE after"])
    table.loc[f"mean ({len(both)} cases both ran)"] = both.mean(numeric_only=True)
    return table


def markdown(table):
    """A DataFrame as a markdown table (no tabulate dependency)."""
    cells = [[str(i)] + [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for i, row in zip(table.index, table.values)]
    lines = ["| " + " | ".join(["case", *map(str, table.columns)]) + " |", "|" + "---|" * (len(table.columns) + 1)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="defaults", help="defaults | v7 | a JSON dict of Forecaster keywords")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cases", nargs="+", default=[*DEFAULT_CASES, *EMPLOYMENT, *PANELS],
                        choices=[*CASES, *EMPLOYMENT, *PANELS])
    parser.add_argument("--out", help="write the rows as JSON here")
    parser.add_argument("--peer-python", default=None,
                        help=f"statsforecast's venv Python for the AutoETS/AutoTheta/AutoARIMA columns (e.g. {PEER_VENV})")
    parser.add_argument("--compare", nargs="+", help="print the summaries of these result files side by side")
    parser.add_argument("--merge", nargs="+", metavar=("OUT", "IN"), help="join the rows of result files IN... into OUT")
    args = parser.parse_args(argv)
    if args.merge:
        out, *parts = args.merge
        loaded = [json.load(open(path)) for path in parts]
        merged = {"config": loaded[0]["config"], "machine": loaded[0]["machine"],
                  "rows": [row for part in loaded for row in part["rows"]]}
        with open(out, "w") as handle:
            json.dump(merged, handle, indent=1)
        return 0
    if args.compare:
        tables = []
        for path in args.compare:
            with open(path) as handle:
                saved = json.load(handle)
            print(f"## {path}: config {saved['config']}\n\n{markdown(summary(saved['rows']))}\n")
            tables.append(summary(saved["rows"]))
        if len(tables) == 2:
            print(f"## side by side ({args.compare[0]} -> {args.compare[1]})\n\n{markdown(side_by_side(*tables))}")
        return 0
    config = CONFIGS.get(args.config)
    config = json.loads(args.config) if config is None else config
    print(f"# Forecast suite ({machine()}), config {json.dumps(config)}, seeds {args.seeds}\n", flush=True)
    rows = []
    for name in args.cases:
        for seed in args.seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name == "us_employment_each":
                    row = run_employment_each(config, seed)
                elif name == "us_employment_global":
                    row = run_employment_global(config, seed)
                elif name == "m1_yearly_global":
                    row = run_m1_global(config, seed)
                else:
                    row = run_case(name, config, seed, args.peer_python)
            rows.append(row)
            print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                  flush=True)
            if args.out:
                with open(args.out, "w") as handle:
                    json.dump({"config": config, "machine": machine(), "rows": rows}, handle, indent=1)
    print("\n" + markdown(summary(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
