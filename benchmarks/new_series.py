"""A global model forecasting series it was not trained on, on M1 yearly: how much is lost against training on them.

`predict` forecasts a series new to a model of many series from its own rows (its scaler fit on them; see
`preparing.new_series_view`), as NeuralForecast and Darts do. This measures what that costs on the public half of M1
yearly (`m1_yearly.py`'s data and protocol: the last 6 years of each series held out, MASE over them). The 91
series are dealt into two halves (every other series). For each half in turn:

- **trained on**: the default global Forecaster of `m1_yearly.py`, trained on every series' training years, scored
  on this half's;
- **new**: the same Forecaster trained on the other half only, forecasting this half as series it never saw;
- beside them, on the same series: naive, drift, damped ETS and Theta (`m1_yearly.classic_forecasts`).

Each row is one seed and one half; the summary is the mean over both halves (all 91 series), 3 seeds.
Run: python benchmarks/new_series.py [--seeds 0 1 2] [--config '{"reference_fallback": false}']
"""

import argparse
import json
import sys

import numpy as np
import pandas as pd
from _common import machine

import m1_yearly


def halves(train):
    """The series ids dealt alternately into two halves."""
    keys = list(dict.fromkeys(train["series"]))
    return keys[0::2], keys[1::2]


def scored(train, test, forecast, keys):
    """Mean MASE over `keys` of a long forecast frame (every one of them must be forecast)."""
    part = train[train["series"].isin(keys)]
    scores = m1_yearly.series_scores(part, test, forecast[forecast["series"].isin(keys)])
    assert len(scores) == len(keys), f"{len(keys) - len(scores)} series got no forecast"
    return float(np.mean(scores))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--config", default="{}", help="Forecaster keywords as JSON")
    args = parser.parse_args(argv)
    config = json.loads(args.config)
    train, test = m1_yearly.split(m1_yearly.load())
    first, second = halves(train)
    print(f"# A global model on series it was not trained on: M1 yearly, odd half ({machine()}), config {config}\n")
    rows = []
    print("| seed | half | trained on | new | new: kept the reference | fit s (all / other half) |\n|---|---|---|---|---|---|")
    for seed in args.seeds:
        _, every, every_s = m1_yearly.fit_forecast(train, config, seed)
        for name, keys, others in (("first", first, second), ("second", second, first)):
            forecaster, _, own_s = m1_yearly.fit_forecast(train[train["series"].isin(others)], config, seed)
            new = forecaster.predict(train[train["series"].isin(keys)])
            rows.append({"seed": seed, "half": name, "trained on": scored(train, test, every, keys),
                         "new": scored(train, test, new, keys),
                         "new: kept the reference": forecaster.reference_fallback_ is not None,
                         "fit s (all / other half)": f"{every_s:.1f} / {own_s:.1f}"})
            print("| " + " | ".join(str(round(v, 3) if isinstance(v, float) else v) for v in rows[-1].values()) + " |",
                  flush=True)
    frame = pd.DataFrame(rows)
    weights = {"first": len(first), "second": len(second)}
    frame["n"] = frame["half"].map(weights)
    by_seed = frame.groupby("seed").apply(lambda g: pd.Series({column: np.average(g[column], weights=g["n"])
                                                                for column in ("trained on", "new")}),
                                          include_groups=False)
    means = m1_yearly.baselines(train, test, {})  # the classics over all 91 series
    print(f"\nall 91 series, mean MASE over seeds (seed spread): trained on {by_seed['trained on'].mean():.3f} "
          f"({np.ptp(by_seed['trained on']):.3f}), new {by_seed['new'].mean():.3f} ({np.ptp(by_seed['new']):.3f}); "
          + ", ".join(f"{method} {value:.3f}" for method, value in means.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
