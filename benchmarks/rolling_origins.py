"""Held-out check of issue 34's short-series selection: series and periods the defaults were not chosen on.

The default Forecaster judges a short series' network at rolling origins too (`fitting.origin_evidence`). This runs
it next to the single split it replaced (`fitting.ROLLING_ORIGINS = 0`: no origins), with `forecast_suite.py`'s protocol (fit on the first
80%, backtest from every `stride`-th origin after it, MASE scaled by the training part's seasonal-naive MAE,
naive / damped ETS / Theta at the same origins),
- `us_change_early`: the five quarterly US change series, cut at 80% of their length first, so the test
  quarters are ones the suite never scored (lookback 12, horizon 8; short: 4);
- `seattle_weekly`: weekly means of Seattle's daily maximum and minimum temperature, wind and precipitation
  (208 weeks; lookback 26, horizon 13; short: 4; every second origin);
- `msft_monthly`: MSFT's month-end close and monthly volume (about 380 months; lookback 24, horizon 24; short:
  12; every third origin).

Run: python benchmarks/rolling_origins.py [--sets us_change_early seattle_weekly msft_monthly] [--horizon long|short]
         [--seeds 0 1] [--out F]
"""

import argparse
import json
import warnings

import forecast_suite as suite
import pandas as pd
import user_series
from _common import machine

import lstm_toolkit
from lstm_toolkit.forecasting import fitting


HORIZONS = {"long": {"us_change_early": 8, "seattle_weekly": 13, "msft_monthly": 24},
            "short": {"us_change_early": 4, "seattle_weekly": 4, "msft_monthly": 12}}


def held_out_cases(horizon="long"):
    """set -> {case name: forecast_suite case tuple}."""
    h = HORIZONS[horizon]
    def early(column):
        def load():
            frame = user_series.us_change()[[column]]
            return frame.iloc[: int(len(frame) * 0.8)]
        return load

    def weekly(column):
        return lambda: lstm_toolkit.datasets.load("seattle_daily_weather")[[column]].resample("W").mean()

    def monthly(column, how):
        return lambda: getattr(lstm_toolkit.datasets.load("msft_daily_ohlcv")[[column]].resample("MS"), how)()

    return {
        "us_change_early": {f"early_{c.lower()}": (early(c), c, 12, h["us_change_early"], None, 1, {}) for c in user_series.US_CHANGE},
        "seattle_weekly": {f"weekly_{c}": (weekly(c), c, 26, h["seattle_weekly"], None, 2, {})
                           for c in ("temp_max", "temp_min", "wind", "precipitation")},
        "msft_monthly": {"monthly_close": (monthly("Close", "last"), "Close", 24, h["msft_monthly"], None, 3, {}),
                         "monthly_volume": (monthly("Volume", "sum"), "Volume", 24, h["msft_monthly"], None, 3, {})},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(HORIZONS["long"]), choices=list(HORIZONS["long"]))
    parser.add_argument("--horizon", default="long", choices=list(HORIZONS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    sets = held_out_cases(args.horizon)
    default = fitting.ROLLING_ORIGINS
    print(f"# Short-series selection, held out ({machine()}): the single split (origins 0) against {default} origins")
    rows = []
    for name in args.sets:
        suite.CASES.update(sets[name])
        for case in sets[name]:
            for origins in (0, default):
                fitting.ROLLING_ORIGINS = origins
                for seed in args.seeds:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        row = {"set": name, "origins": origins, **suite.run_case(case, {}, seed)}
                    print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                          flush=True)
                    rows.append(row)
    fitting.ROLLING_ORIGINS = default
    report(rows, "origins", args.out)


def compare_held_out(configs, variant, seeds, out=None, horizon="long"):
    """Runs each of `configs` (`{label: Forecaster keywords}`) on every held-out case (at the `horizon`s of
    `HORIZONS`) and seed, printing each row, then `report`s them with the labels in the column `variant`."""
    rows = []
    for name, cases in held_out_cases(horizon).items():
        suite.CASES.update(cases)
        for case in cases:
            for label, config in configs.items():
                for seed in seeds:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        row = {"set": name, variant: label, **suite.run_case(case, config, seed)}
                    print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                          flush=True)
                    rows.append(row)
    report(rows, variant, out, spread=True)


def held_out_main(doc, configs, variant, title, argv=None):
    """A held-out check's command line: `--seeds` (default 0 1) and `--out`, then `compare_held_out`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--horizon", default="long", choices=list(HORIZONS))
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    print(f"# {title}, held out ({machine()}), {args.horizon} horizons {HORIZONS[args.horizon]}, seeds {args.seeds}")
    compare_held_out(configs, variant, args.seeds, args.out, args.horizon)


def report(rows, variant, out=None, spread=False):
    """Prints the held-out rows' means per case and `variant` (the column told apart), over the cases, and with
    `spread` the seed spread per case; writes the rows to `out` as JSON."""
    table = pd.DataFrame(rows)
    columns = [c for c in ("model", "fit_s", "fallback", "level", "ets_damped", "theta", "seasonal_naive") if c in table]
    per_case = table.groupby(["set", "case", variant])[columns].mean().unstack(variant)
    print("\n" + per_case.to_string(float_format=lambda v: f"{v:.3f}"))
    if spread:
        spreads = table.groupby(["case", variant])["model"].agg(lambda v: v.max() - v.min()).unstack(variant)
        print("\nseed spread (max - min MASE) per case:\n" + spreads.to_string(float_format=lambda v: f"{v:.3f}"))
    print("\nmean over the cases (MASE; fit s):")
    print(table.groupby(variant)[columns].mean().to_string(float_format=lambda v: f"{v:.3f}"))
    if out:
        with open(out, "w") as handle:
            json.dump({"machine": machine(), "rows": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
