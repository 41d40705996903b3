"""A ridge regression on the Forecaster's seasonal-normalised windows: the evidence for the linear highway.

Seattle hourly temperature, first 7,000 rows, fit on 5,600 (as `forecast_suite.py`). Each window is expressed
relative to its last value, each target relative to the seasonal-naive reference (the value one season before),
as `window_norm="seasonal"` does; scikit-learn's `Ridge` maps the one to the other. Backtest from every 24th
origin after the training part, MASE scaled by the training part's seasonal-naive MAE.

Run: python benchmarks/ridge_windows.py
"""

import numpy as np
from sklearn.linear_model import Ridge

import lstm_toolkit
from lstm_toolkit import metrics
from lstm_toolkit.models.normalization import reference_rows

ROWS, FIT, SEASON, STRIDE = 7000, 5600, 24, 24


def main():
    values = lstm_toolkit.datasets.load("seattle_hourly_temperature")["temp"].to_numpy("float64")[:ROWS]
    scale = metrics.seasonal_naive_scale(values[:FIT], SEASON)
    print("| lookback | horizon | ridge on windows | seasonal naive |\n|---|---|---|---|")
    for lookback, horizon in [(72, 24), (72, 48), (168, 24), (168, 48), (336, 24), (336, 48)]:
        rows = np.array(reference_rows(lookback, horizon, SEASON))  # the window rows "seasonal" refers each step to

        def window(t):
            return values[t - lookback + 1: t + 1] - values[t]

        def reference(t):
            return values[t - lookback + 1 + rows]

        train = np.arange(lookback - 1, FIT - horizon)
        model = Ridge(alpha=1.0).fit(np.stack([window(t) for t in train]),
                                     np.stack([values[t + 1: t + 1 + horizon] - reference(t) for t in train]))
        origins = np.arange(FIT - 1, len(values) - horizon, STRIDE)
        actual = np.stack([values[t + 1: t + 1 + horizon] for t in origins])
        naive = np.stack([reference(t) for t in origins])
        ridge = model.predict(np.stack([window(t) for t in origins])) + naive
        print(f"| {lookback} | {horizon} | {metrics.mase(actual, ridge, scale):.3f} | {metrics.mase(actual, naive, scale):.3f} |")


if __name__ == "__main__":
    main()
