"""A monthly series with one month missing: what the default Forecaster does with it, and with the fix it names.

Before `MissingTimestampsWarning`, an index that skipped a step had no frequency pandas could infer, and the
toolkit took the median step instead: a monthly series with one missing month read as steps of "744h", with no
season, so no seasonal reference and no yearly window. Now the index keeps its frequency ("MS", season 12) and
`fit` warns, naming the month and the fix (`df.asfreq("MS")` with `fill="interpolate"`).

Monthly series of the forecast suite (`forecast_suite.py`'s cases with their lookback and horizon): one month is
dropped from the middle of the training part (80% of the rows), far enough from the test part that no test window
crosses it. Each variant is the default Forecaster (the case's lookback and horizon, `seed`) fit on that part and
backtested from every origin of the test part:

- `complete`: the series with no month missing (the reference point);
- `gap`: one month missing, as the user gives it;
- `gap_filled`: the fix the warning names (the month put back by `asfreq`, filled by interpolation).

The variants are scored by the same MASE (the training part's seasonal-naive MAE, season 12), so they compare.
Run the toolkit before the change with `PYTHONPATH=<checkout of 78cd6cd> python benchmarks/missing_steps.py`
to score what `gap` did then.

Run: python benchmarks/missing_steps.py [--seeds 0 1] [--cases euro_equipment pbs_scripts shampoo]
"""

import argparse
import sys

import numpy as np
from _common import machine, quiet_fit
from forecast_suite import CASES, fit_rows_of

import lstm_toolkit
from lstm_toolkit import metrics

MONTHLY = ("euro_equipment", "pbs_scripts", "shampoo")


def variants(frame, fit_rows, lookback):
    """`{name: (training frame, full frame, fill)}`: the month dropped halfway between the start and the test part's
    first window's history."""
    dropped = frame.index[max(1, (fit_rows - lookback) // 2)]
    gap = frame.drop(dropped)
    return {
        "complete": (frame.iloc[:fit_rows], frame, None),
        "gap": (gap.iloc[: fit_rows - 1], gap, None),
        "gap_filled": (gap.iloc[: fit_rows - 1].asfreq("MS"), gap.asfreq("MS"), "interpolate"),
    }, dropped


def score(name, seed):
    """`{variant: (MASE, season the model used, fit s)}` of one case and seed."""
    load, target, lookback, horizon, fit_rows, _, keywords = CASES[name]
    frame = load()[[target]]
    fit_rows = fit_rows_of(frame, fit_rows)
    scale = metrics.seasonal_naive_scale(frame[target].to_numpy("float64")[:fit_rows], 12)
    found, dropped = variants(frame, fit_rows, lookback)
    out = {}
    for variant, (train, full, fill) in found.items():
        forecaster = lstm_toolkit.Forecaster(lookback=lookback, horizon=horizon, target=target, seed=seed, verbose=0,
                                             fill=fill, **keywords)
        seconds = quiet_fit(forecaster, train)
        rows = forecaster.backtest(full)
        error = float(np.mean(np.abs(rows["forecast"] - rows["actual"])))
        out[variant] = (error / scale, forecaster.season_length_, forecaster.freq_, seconds)
    return out, dropped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--cases", nargs="+", default=list(MONTHLY))
    args = parser.parse_args(argv)
    print(f"# One month missing ({machine()}), toolkit {lstm_toolkit.__file__}\n")
    table = {}
    for name in args.cases:
        for seed in args.seeds:
            found, dropped = score(name, seed)
            for variant, (mase, season, freq, seconds) in found.items():
                print(f"  case={name}, seed={seed}, variant={variant}, dropped={dropped.date()}, freq={freq}, "
                      f"season={season}, mase={mase:.3f}, fit_s={seconds:.1f}", flush=True)
                table.setdefault((name, variant), []).append(mase)
    print("\n| case | variant | mean MASE | seeds |\n|---|---|---|---|")
    for (name, variant), values in table.items():
        print(f"| {name} | {variant} | {np.mean(values):.3f} | {', '.join(f'{v:.3f}' for v in values)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
