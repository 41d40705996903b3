"""A lead, not a default: the default forecast averaged with damped-trend ETS (statsmodels), on the series users bring.

Issue 34 asks for damped ETS as a reference the network corrects. The window reference ("damped", smoothing over the
lookback) did not pay (`results/forecast_suite_damped_reference_epyc.txt`). This measures the other form, a
forecast combination: the default Forecaster's backtest (`forecast_suite.py`'s cases and origins) averaged with a
damped ETS fit on the whole training part (`_common.ets_backtest`: parameters fit once, forecasts from every origin),
at ETS shares 0.25 and 0.5; and the same for M1 yearly's public half (`m1_yearly.py`, ETS refit per series on the
years before the test years; `m1` forecasts the last 6 years, `m1_6` the 6 before them, a period no default was
chosen on).

`--rule` instead screens a rule that would choose where to combine from the training part alone: damped ETS
against the best of the naive family ("auto"'s references over the case's lookback) at every origin of the
training part's last five horizons (at most its last 40%), ETS fit on the rows before them. It prints their MAE
ratio per single series.

Run: python benchmarks/ets_member.py [--cases shampoo lynx ... m1 m1_6] [--seeds 0 1 2] [--rule]
"""

import argparse
import json
import sys
import warnings

import forecast_suite
import m1_yearly
import numpy as np
from _common import ets_backtest, machine

import lstm_toolkit
from lstm_toolkit import metrics
from lstm_toolkit.forecasting.choices import reference_candidates
from lstm_toolkit.models import reference_forecast

SHARES = (0.25, 0.5)
CASES = ("lynx", "shampoo", "pbs_scripts", "us_consumption", "us_income", "us_production", "us_savings",
         "us_unemployment", "euro_equipment", "m1", "m1_6")


def _scores(actual, model, ets, score):
    row = {"model": score(actual, model), "ets": score(actual, ets)}
    row.update({f"ets_{share}": score(actual, (1 - share) * model + share * ets) for share in SHARES})
    return row


def suite_case(name, seed):
    """The default's backtest on `forecast_suite` case `name`, alone and averaged with damped ETS at its origins."""
    horizon = forecast_suite.CASES[name][3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case = forecast_suite.backtest_case(name, {}, seed)
    ets = ets_backtest(case.values, case.first, horizon, case.forecaster.season_length_)[case.origins - (case.first - 1)]
    return {**_scores(case.actual, case.forecast, ets, lambda a, f: metrics.mase(a, f, case.scale)),
            "fallback": case.forecaster.reference_fallback_ is not None}


def m1_case(seed, drop_last):
    """The default global model of M1's public half, alone and averaged per series with damped ETS, mean MASE."""
    train, test = m1_yearly.split(m1_yearly.load(drop_last=drop_last))
    forecaster = lstm_toolkit.Forecaster(lookback=m1_yearly.LOOKBACK, horizon=m1_yearly.HORIZON, target="value",
                                         series_id="series", time_col="year", seed=seed, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecast = forecaster.fit(train).predict(train)
    rows = []
    for key, history in train.groupby("series", sort=False)["value"]:
        history = history.to_numpy(dtype="float64")
        model = forecast.loc[forecast["series"] == key, "value"].to_numpy()
        actual = test.loc[test["series"] == key, "value"].to_numpy()
        ets = m1_yearly.classic_forecasts(history)["ets_damped"]
        rows.append(_scores(actual, model, ets, lambda a, f, h=history: m1_yearly.mase(a, f, h)))
    return {**{key: float(np.mean([row[key] for row in rows])) for key in rows[0]},
            "fallback": forecaster.reference_fallback_ is not None}


def naive_family(values, origins, lookback, horizon, season):
    """The naive family's forecasts (`models.reference_forecast` of "auto"'s candidates,
    `choices.reference_candidates`) from `origins` (rows), with windows of `lookback` rows: `{mode: (origins, horizon)}`."""
    windows = values[origins[:, None] + np.arange(1 - lookback, 1)][..., None]
    return {mode: np.broadcast_to(np.asarray(reference_forecast(windows, mode, horizon, season))[..., 0],
                                  (len(origins), horizon)) for mode in reference_candidates(lookback, season)}


def training_rule(name):
    """`(ETS's MAE / the best naive family member's, that member, origins)` on case `name`'s training part alone."""
    load, target, lookback, horizon, fit_rows, _, _ = forecast_suite.CASES[name]
    data = load()
    values = data[target].to_numpy(dtype="float64")[: forecast_suite.fit_rows_of(data, fit_rows)]
    season = lstm_toolkit.data.season_length_for(lstm_toolkit.data.infer_frequency(data.index))
    inner = max(len(values) - 5 * horizon, int(len(values) * 0.6), lookback)
    origins = np.arange(inner - 1, len(values) - horizon)
    actual = values[origins[:, None] + np.arange(1, horizon + 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ets = ets_backtest(values, inner, horizon, season)
    family = {key: np.abs(actual - forecast).mean()
              for key, forecast in naive_family(values, origins, lookback, horizon, season).items()}
    best = min(family, key=family.get)
    return np.abs(actual - ets).mean() / family[best], best, len(origins)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rule", action="store_true", help="screen the training-part rule instead (no fits)")
    args = parser.parse_args(argv)
    if args.rule:
        for name in (name for name in args.cases if not name.startswith("m1")):
            ratio, best, origins = training_rule(name)
            print(f"{name}: damped ETS / {best} (MAE, {origins} origins of the training part) {ratio:.3f}")
        return 0
    print(f"# The default averaged with damped ETS ({machine()})", flush=True)
    table = {}
    for seed in args.seeds:
        for name in args.cases:
            row = (m1_case(seed, 6 if name == "m1_6" else 0) if name.startswith("m1") else suite_case(name, seed))
            table.setdefault(name, []).append(row)
            print(json.dumps({"case": name, "seed": seed, **{k: round(v, 4) if isinstance(v, float) else v
                                                               for k, v in row.items()}}), flush=True)
    columns = ["model", "ets", *(f"ets_{share}" for share in SHARES)]
    print("\n| case | " + " | ".join(columns) + " | seed spread, model / ets_0.5 |")
    print("|---|" + "---|" * (len(columns) + 1))
    for name, rows in table.items():
        means = [np.mean([row[key] for row in rows]) for key in columns]
        spread = [max(row[key] for row in rows) - min(row[key] for row in rows) for key in ("model", "ets_0.5")]
        print(f"| {name} | " + " | ".join(f"{mean:.3f}" for mean in means) + f" | {spread[0]:.3f} / {spread[1]:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
