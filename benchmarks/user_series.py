"""Issue 34's cases that look like users' data, for `forecast_suite.py`: short, noisy, intermittent, multivariate.

From `../shared/data/` (sources and caveats in its README) and the toolkit's shipped datasets:

- lynx (annual trappings, 114 years, an irregular ~10-year cycle): lookback 20, horizon 6;
- shampoo sales (36 months, trending, noisy): lookback 12, horizon 3 (7 test months leave 5 origins);
- PBS scripts (204 months of intermittent counts, median 1): lookback 24, horizon 6, with Croston (SBA) beside it;
- US change, quarterly: consumption with income, production, savings and unemployment as past covariates, and
  each of the five series alone; lookback 12, horizon 4;
- Seattle daily minimum temperature, wind and precipitation (1,461 days): lookback 60, horizon 7, like the daily
  maximum;
- MSFT daily volume: lookback 60, horizon 5, like the close.

Each case is `(loader, target, lookback, horizon, fit rows (None: 80%), stride, Forecaster keywords)`.
"""

from pathlib import Path

import numpy as np
import pandas as pd

import lstm_toolkit

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
US_CHANGE = ("Consumption", "Income", "Production", "Savings", "Unemployment")


def shared(name, time_col, **parse):
    """A series of `../shared/data/` indexed by its timestamps."""
    frame = pd.read_csv(DATA / name)
    frame[time_col] = pd.to_datetime(frame[time_col].astype(str), **parse)
    return frame.set_index(time_col)


def us_change():
    frame = pd.read_csv(DATA / "us_change_quarterly.csv")
    frame.index = pd.PeriodIndex(frame.pop("Quarter").str.replace(" ", ""), freq="Q").to_timestamp()
    return frame


def cases():
    """name -> (loader, target, lookback, horizon, fit rows, stride, Forecaster keywords)."""
    daily = lambda column: lambda: lstm_toolkit.datasets.load("seattle_daily_weather")[[column]]  # noqa: E731
    found = {
        "lynx": (lambda: shared("lynx_annual.csv", "year", format="%Y"), "lynx_trappings", 20, 6, None, 1, {}),
        "shampoo": (lambda: shared("shampoo_sales_monthly.csv", "month", format="%Y-%m"), "sales", 12, 3, 29, 1, {}),
        "pbs_scripts": (lambda: shared("pbs_scripts_monthly.csv", "month", format="%Y-%m"), "scripts", 24, 6, None, 1,
                        {}),
        "us_consumption_covariates": (us_change, "Consumption", 12, 4, None, 1, {"features": list(US_CHANGE)}),
    }
    for column in US_CHANGE:
        found[f"us_{column.lower()}"] = (lambda column=column: us_change()[[column]], column, 12, 4, None, 1, {})
    for column in ("temp_min", "wind", "precipitation"):
        found[f"seattle_daily_{column}"] = (daily(column), column, 60, 7, None, 7, {})
    found["msft_volume"] = (lambda: lstm_toolkit.datasets.load("msft_daily_ohlcv")[["Volume"]], "Volume", 60, 5, None,
                            20, {})
    return found


def shampoo_shaped():
    """Held-out cases of shampoo's shape, for checking a rule chosen on it: 36 months each, fit on the first 29,
    lookback 12, horizon 3 (5 test origins). They are the euro equipment index cut into its seven disjoint 36-month
    segments (`euro_seg0`, the newest, to `euro_seg6`) and the last 36 months of every third US employment sector
    (`emp_...`). Not suite cases: no default was chosen on them.

    >>> found = shampoo_shaped()
    >>> len(found), [len(found[name][0]()) for name in ("euro_seg0", "euro_seg6", "emp_nonfarm")]
    (15, [36, 36, 36])
    """
    def segment(load, column, start):
        return lambda: load()[[column]].iloc[start:start + 36]

    euro = lambda: lstm_toolkit.datasets.load("euro_electrical_equipment_monthly")  # noqa: E731
    employment = lambda: lstm_toolkit.datasets.load("us_employment_monthly").drop(columns="nonfarm_change")  # noqa: E731
    found, rows = {}, len(euro())
    for index, start in enumerate(range(rows - 36, -1, -36)):
        found[f"euro_seg{index}"] = (segment(euro, "index_value", start), "index_value", 12, 3, 29, 1, {})
    frame = employment()
    for column in list(frame.columns)[::3]:
        found[f"emp_{column}"] = (segment(employment, column, len(frame) - 36), column, 12, 3, 29, 1, {})
    return found


def croston_sba(history, horizon, alpha=0.1):
    """Croston's method with the Syntetos-Boylan correction: a flat forecast of demand size / interval.

    >>> round(float(croston_sba(np.array([0.0, 2.0, 0.0, 0.0, 4.0]), 2)[0]), 4)
    0.9952
    """
    demand = np.flatnonzero(history > 0)
    if len(demand) == 0:
        return np.zeros(horizon)
    size, interval, last = float(history[demand[0]]), float(demand[0] + 1), demand[0]
    for position in demand[1:]:
        size += alpha * (history[position] - size)
        interval += alpha * ((position - last) - interval)
        last = position
    return np.full(horizon, (1 - alpha / 2) * size / interval)


def croston_backtest(values, origins, horizon):
    """Croston (SBA) forecasts from each origin, on values[:origin + 1]."""
    return np.stack([croston_sba(values[: origin + 1], horizon) for origin in origins])
