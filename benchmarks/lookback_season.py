"""`lookback="auto"` and the short-lookback warning: a window shorter than one season, on weekly data.

The Forecaster's default lookback was 48 rows. On weekly data the season is 52 weeks, so a window of 48 cannot hold
the value one season before the forecast: no seasonal reference can be chosen, and the network cannot see the
yearly pattern. `lookback="auto"` (the default now) is 48, or one season when the season is longer; a lookback given
shorter than the season warns (`ShortLookbackWarning`). This runs, with `forecast_suite.py`'s protocol (fit on the
first 80%, backtest from every `stride`-th origin after it, MASE scaled by the training part's seasonal-naive MAE,
horizon 13):

- weekly means of four Seattle daily series (208 weeks): rolling_origins.py's held-out set, which used lookback 26;
- MSFT's weekly close and volume (a near random walk and a noisy series, about 1,500 weeks), where the season
  should not matter;

at lookback 26 (half a season), 48 (the old default) and 52 (one season: "auto" here), 2 seeds.

Run: python benchmarks/lookback_season.py [--seeds 0 1] [--out F]
"""

import argparse
import warnings

import forecast_suite as suite
import rolling_origins
from _common import machine

import lstm_toolkit

LOOKBACKS = (26, 48, 52)
HORIZON = 13


def cases():
    """name -> forecast_suite case tuple, lookback left to fill in."""
    seattle = {name: case for name, case in rolling_origins.held_out_cases("long")["seattle_weekly"].items()}

    def msft(column, how):
        return lambda: getattr(lstm_toolkit.datasets.load("msft_daily_ohlcv")[[column]].resample("W"), how)()

    found = {name: (load, target, None, HORIZON, None, stride, keywords)
             for name, (load, target, _, _, _, stride, keywords) in seattle.items()}
    found["msft_weekly_close"] = (msft("Close", "last"), "Close", None, HORIZON, None, 8, {})
    found["msft_weekly_volume"] = (msft("Volume", "sum"), "Volume", None, HORIZON, None, 8, {})
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    print(f"# lookback below, at and above one season on weekly data ({machine()}), seeds {args.seeds}")
    rows = []
    for name, (load, target, _, horizon, fit_rows, stride, keywords) in cases().items():
        for lookback in LOOKBACKS:
            suite.CASES[name] = (load, target, lookback, horizon, fit_rows, stride, keywords)
            for seed in args.seeds:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    row = {"set": "weekly", "lookback": lookback, **suite.run_case(name, {}, seed)}
                print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                      flush=True)
                rows.append(row)
    rolling_origins.report(rows, "lookback", args.out, spread=True)


if __name__ == "__main__":
    main()
