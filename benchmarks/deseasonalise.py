"""The lead for deseasonalising short seasonal series before the network (issue 34's one untried lever), emulated.

Theta beats the default Forecaster on short seasonal series: on the seven 36-month segments of the euro equipment
index (`user_series.shampoo_shaped`, fit on 29 months, horizon 3) it scored 0.255-0.514 where the default scored
0.371-0.975 (`results/fold_epochs_heldout_shampoo_shaped_xeon.txt`). Theta deseasonalises first; the network sees
a season through 12-month windows, one season in each, learned from 15 of them. This script does what Theta (and
the M4 competition's benchmarks) do before forecasting, outside the toolkit, as a user could:

1. test the training part for a season (statsmodels `ThetaModel`'s test: the autocorrelation at the season's lag
   against its standard error, 90% one-sided, as in the M4 benchmarks);
2. where it is seasonal, decompose the training part (statsmodels `seasonal_decompose`, multiplicative where every
   seasonal index is positive, else additive, as `ThetaModel` does) and take one index per phase of the season;
3. fit the default Forecaster on the adjusted training part, backtest it on the adjusted series from the case's
   origins, and put the season back on each forecast row.

MASE is scaled on the original training part, at the same origins as the default's backtest. Seasonal indices come
from the training part only, so nothing of the test part leaks in. "seasonal" says whether the test found a season.

Run: python benchmarks/deseasonalise.py [--held-out] [--cases ...] [--seeds 0 1 2]
"""

import argparse
import sys
import warnings

import forecast_suite
import numpy as np
import pandas as pd
import user_series
from _common import machine, quiet_fit

import lstm_toolkit
from lstm_toolkit import metrics

SHORT_CASES = ["shampoo", "lynx", "pbs_scripts", "us_consumption", "us_income", "us_production", "us_savings",
               "us_unemployment", "euro_equipment"]


def seasonal_indices(values, season):
    """One seasonal index per phase of `season` (row i has phase i % season) and the decomposition's model ("mul" or
    "add"), or None where `values` show no season (`ThetaModel`'s test) or are too short to decompose."""
    from statsmodels.tsa.seasonal import seasonal_decompose
    from statsmodels.tsa.stattools import acf

    if season < 2 or len(values) < 2 * season:
        return None
    rho = acf(values, nlags=season, fft=True)
    if len(values) * rho[-1] ** 2 / np.sum(rho[:-1] ** 2) <= 2.705543454095404:
        return None
    model = "mul" if np.all(values > 0) else "add"
    seasonal = seasonal_decompose(values, model=model, period=season).seasonal
    if model == "mul" and seasonal.min() <= 0:
        model, seasonal = "add", seasonal_decompose(values, model="add", period=season).seasonal
    return seasonal[:season], model


def adjust(values, indices, model, inverse=False, rows=None):
    """`values` (at `rows`, default 0..n-1) with the season taken out, or put back (`inverse`)."""
    rows = np.arange(len(values)) if rows is None else rows
    phase = indices[rows % len(indices)]
    if model == "mul":
        return values * phase if inverse else values / phase
    return values + phase if inverse else values - phase


def run(name, seed):
    """The default's and the deseasonalised default's backtest MASE on case `name` at `seed`."""
    load, target, lookback, horizon, fit_rows, stride, keywords = forecast_suite.CASES[name]
    default = forecast_suite.run_case(name, {}, seed)
    data = load()
    values = data[target].to_numpy(dtype="float64")
    first_fit = forecast_suite.fit_rows_of(data, fit_rows)
    season = lstm_toolkit.data.season_length_for(lstm_toolkit.data.infer_frequency(data.index))
    found = seasonal_indices(values[:first_fit], season)
    row = {"case": name, "seed": seed, "seasonal": float(found is not None), "default": default["model"],
           "theta": default["theta"], "ets_damped": default["ets_damped"]}
    if found is None:
        return {**row, "deseasonalised": default["model"], "fit_s": default["fit_s"], "default_fit_s": default["fit_s"]}
    indices, model = found
    adjusted = data.copy()
    adjusted[target] = adjust(values, indices, model)
    forecaster = lstm_toolkit.Forecaster(horizon=horizon, target=target, seed=seed, verbose=0,
                                         **{"lookback": lookback, **keywords})
    seconds = quiet_fit(forecaster, adjusted.iloc[:first_fit])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = forecaster.backtest(adjusted, stride=stride)
    first = results.attrs["first_forecast_row"]
    origins = np.arange(first - 1, len(values) - horizon, stride)
    target_rows = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    forecast = adjust(results["forecast"].to_numpy().reshape(target_rows.shape), indices, model, inverse=True,
                      rows=target_rows)
    scale = metrics.seasonal_naive_scale(values[:first], forecaster.season_length_)
    return {**row, "deseasonalised": metrics.mase(values[target_rows], forecast, scale), "fit_s": seconds,
            "default_fit_s": default["fit_s"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=SHORT_CASES)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--held-out", action="store_true",
                        help="instead of --cases, the 15 held-out cases of shampoo's shape (user_series.shampoo_shaped)")
    parser.add_argument("--lookback", type=int, help="every case at this lookback instead of its own")
    args = parser.parse_args(argv)
    if args.held_out:
        held_out = user_series.shampoo_shaped()
        forecast_suite.CASES.update(held_out)
        args.cases = list(held_out)
    if args.lookback:
        for name in args.cases:
            load, target, _, *rest = forecast_suite.CASES[name]
            forecast_suite.CASES[name] = (load, target, args.lookback, *rest)
    print(f"# deseasonalise ({machine()}): seeds {args.seeds}, lookback {args.lookback or 'of each case'}\n",
          flush=True)
    rows = []
    for name in args.cases:
        for seed in args.seeds:
            rows.append(run(name, seed))
            print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in rows[-1].items()),
                  flush=True)
    grouped = pd.DataFrame(rows).groupby("case", sort=False)
    table = grouped[["seasonal", "default", "deseasonalised", "theta", "ets_damped", "default_fit_s", "fit_s"]].mean()
    table.insert(2, "default_spread", grouped["default"].agg(np.ptp))
    table.insert(4, "deseasonalised_spread", grouped["deseasonalised"].agg(np.ptp))
    print("\n" + forecast_suite.markdown(table))
    seasonal = table[table["seasonal"] > 0]
    print(f"\nmean over the {len(table)} cases: default {table['default'].mean():.4f}, deseasonalised "
          f"{table['deseasonalised'].mean():.4f}, Theta {table['theta'].mean():.4f}, damped ETS "
          f"{table['ets_damped'].mean():.4f}; over the {len(seasonal)} seasonal ones: default "
          f"{seasonal['default'].mean():.4f}, deseasonalised {seasonal['deseasonalised'].mean():.4f}, Theta "
          f"{seasonal['theta'].mean():.4f}; deseasonalised lower on {int((seasonal['deseasonalised'] < seasonal['default']).sum())} "
          f"of {len(seasonal)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
