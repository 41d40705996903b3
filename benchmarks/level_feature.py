"""A ridge regression on the windows with and without the window's level: does knowing where a window sits help?

The Forecaster's windows are relative to their last value ("last" and the other reference normalisations): the
network and its ridge combination see a window's shape, never its level. A mean-reverting series (US change,
lynx, wind) is forecast by AutoARIMA from how far the last value sits from the mean, which a short window only
estimates. This fits `linear_alone.py`'s ridge (windows minus their last value, over the spread of the training
part's changes; penalty by leave-one-out, no intercept, as `forecasting.linear`) on the cases and origins of
`forecast_suite.py`, with one more feature: the last value's z-score on the training part. "chosen" picks one of
the two by its error on the last 20% of the training windows (a horizon apart from the windows it is fit on),
refit on all. "kpss" picks the level where a KPSS test on the training part (statsmodels, level stationarity,
automatic lags, 5%; the test AutoARIMA uses to choose whether to difference) does not reject a stationary series.
numpy, pandas, scikit-learn and statsmodels; MASE on the training part's seasonal-naive MAE.

Run: python benchmarks/level_feature.py
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.stattools import kpss

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PACKAGED = Path(__file__).resolve().parents[1] / "lstm_toolkit" / "datasets"
ALPHAS = np.logspace(-3, 5, 33)


def column(path, name):
    return lambda: pd.read_csv(path)[name].to_numpy(dtype="float64")


def cases():
    """name -> (values loader, lookback, horizon, fit rows (None: 80%), season, stride), as `forecast_suite.py`."""
    found = {f"us_{name.lower()}": (column(SHARED / "us_change_quarterly.csv", name), 12, 4, None, 4, 1)
             for name in ("Consumption", "Income", "Production", "Savings", "Unemployment")}
    found["lynx"] = (column(SHARED / "lynx_annual.csv", "lynx_trappings"), 20, 6, None, 1, 1)
    found["shampoo"] = (column(SHARED / "shampoo_sales_monthly.csv", "sales"), 12, 3, 29, 12, 1)
    found["pbs_scripts"] = (column(SHARED / "pbs_scripts_monthly.csv", "scripts"), 24, 6, None, 12, 1)
    found["euro_equipment"] = (column(PACKAGED / "euro_electrical_equipment_monthly.csv", "index_value"), 24, 12, None,
                               12, 1)
    for name in ("temp_min", "wind", "precipitation", "temp_max"):
        found[f"seattle_daily_{name}"] = (column(PACKAGED / "seattle_daily_weather.csv", name), 60, 7, None, 7, 7)
    for name in ("Volume", "Close"):
        found[f"msft_{name.lower()}"] = (column(PACKAGED / "msft_daily_ohlcv.csv", name), 60, 5, None, 5, 20)
    return found


def score(values, lookback, horizon, fit_rows, season, stride):
    """MASE of the ridge on the windows, on the windows and the level, and on the one the training part chooses."""
    first = max(fit_rows or int(round(len(values) * 0.8)), lookback)
    steps = np.arange(1, horizon + 1)
    origins = np.arange(first - 1, len(values) - horizon, stride)
    train = np.arange(lookback - 1, first - horizon)
    spread = np.std(np.diff(values[:first])) or 1.0
    mean, deviation = values[:first].mean(), values[:first].std()

    def windows(ends):
        return np.stack([values[end - lookback + 1: end + 1] - values[end] for end in ends]) / spread

    def with_level(ends):
        return np.hstack([windows(ends), ((values[ends] - mean) / deviation)[:, None]])

    def forecast(features, fit_ends, ends):
        targets = (values[fit_ends[:, None] + steps] - values[fit_ends][:, None]) / spread
        ridge = RidgeCV(alphas=ALPHAS, fit_intercept=False).fit(features(fit_ends), targets)
        return values[ends][:, None] + ridge.predict(features(ends)) * spread

    scale = np.mean(np.abs(values[season:first] - values[:first - season]))
    actual = values[origins[:, None] + steps]
    ways = {"window": windows, "window+level": with_level}
    out = {name: np.mean(np.abs(actual - forecast(features, train, origins))) / scale for name, features in ways.items()}
    cut = int(len(train) * 0.8)
    fit_ends, check_ends = train[: cut - horizon], train[cut:]
    errors = {name: np.mean(np.abs(values[check_ends[:, None] + steps] - forecast(features, fit_ends, check_ends)))
              for name, features in ways.items()}
    chosen = min(errors, key=errors.get)
    out["naive"] = np.mean(np.abs(actual - values[origins][:, None])) / scale
    with warnings.catch_warnings():  # a p-value beyond the table's 0.01-0.1 is reported at its edge; the result's
        warnings.simplefilter("ignore", InterpolationWarning)  # form changes in statsmodels 0.16 (a FutureWarning)
        warnings.simplefilter("ignore", FutureWarning)
        stationary = kpss(values[:first], regression="c", nlags="auto")[1] > 0.05
    return {**out, "chosen": out[chosen], "choice": chosen, "kpss": out["window+level" if stationary else "window"],
            "kpss_says": "stationary" if stationary else "difference"}


def main():
    rows = [{"case": name, **score(load(), *settings)} for name, (load, *settings) in cases().items()]
    table = pd.DataFrame(rows).set_index("case")
    table.loc["mean"] = table.mean(numeric_only=True)
    print(table.round(3).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
