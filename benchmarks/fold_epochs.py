"""A lead, not a default: the network's epochs chosen on rolling folds instead of one validation split.

Issue 34 asks for rolling-origin cross-validation inside the data given to `fit` ("k folds ending at the last k
horizons"). Today the epochs of a short series' network are those at which its validation loss, on the last
horizon or two of the data given to `fit`, was lowest; the rolling origins only judge the network trained for
those epochs. On shampoo (15 training windows, one batch: an epoch is one step of Adam) that choice is
noise, and the forecast follows it: seeds 3-5 stop at 31-41 epochs and score 0.79-0.81, seeds 0-2 at 41-50 and
score 0.74-0.78.

This emulates the other design before building it. For each fit, K fold networks (`--folds`) are trained first,
each a `Forecaster` with the case's settings on the data given to `fit` less its last `f` horizons (f = 0..K-1),
validated on the horizon after that (or `--validation-horizons` of them), for `--max-epochs` epochs with no early stopping and no learning-rate
schedule (the network alone: no reference fallback, ridge or level network). The epoch where their mean
validation curve is lowest (`--rule min`), the fewest epochs within one standard error of it (`--rule 1se`), or
the median of the folds' own lowest (`--rule median`), then replaces the early-stopped run's choice in the
default fit: its refit and its rolling origins train for that many epochs at the constant learning rate (the fit's own selection run, reference
check, ridge and level network are as in the defaults; the level network keeps its own epochs). It patches two
functions of `lstm_toolkit.forecasting.fitting` for the length of each fit, which a built design would not need:
the K folds would train as one model of K members, as an ensemble does.

Each row also gives the default's MASE at the same seed, on the same origins (`forecast_suite.run_case`).

Held out: `--held-out` runs the 15 cases of shampoo's shape that no default was chosen on
(`user_series.shampoo_shaped`: 36-month segments of euro equipment and of US employment sectors) instead.

Run: python benchmarks/fold_epochs.py [--cases shampoo lynx ...] [--seeds 0 1 2] [--folds 5] [--max-epochs 150]
     [--rule min|1se|median] [--validation-horizons 1] [--held-out]
"""

import argparse
import contextlib
import sys
import warnings

import forecast_suite
import numpy as np
import pandas as pd
import user_series
from _common import machine

import lstm_toolkit
from lstm_toolkit.backend import keras
from lstm_toolkit.forecasting import fitting
from lstm_toolkit.training import core

CASES = ("shampoo", "lynx", "pbs_scripts", "euro_equipment", "us_consumption", "us_income", "us_production",
         "us_savings", "us_unemployment")


def fold_curve(params, data, folds, max_epochs, validation_horizons=1):
    """The validation curves `(folds, epochs)` of up to `folds` networks, the f-th fit on `data` less its last f
    horizons and validated on its last `validation_horizons` horizons (fewer folds where the data runs out)."""
    curves = []
    for fold in range(folds):
        forecaster = lstm_toolkit.Forecaster(**{**params, "epochs": max_epochs, "patience": max_epochs,
                                               "validation": validation_horizons * params["horizon"], "reference_fallback": False,
                                               "linear_share": 0.0, "refit": False, "level_member": False})
        try:
            forecaster.fit(data.iloc[: len(data) - fold * params["horizon"]])
        except lstm_toolkit.errors.DataError:  # too few rows left for this fold's windows
            break
        curves.append(np.asarray(forecaster.history_["val_loss"]))
    if not curves:
        raise lstm_toolkit.errors.DataError(
            f"The data given to `fit` ({len(data)} rows) is too short for even one fold of lookback "
            f"{params['lookback']} and {validation_horizons} validation horizon(s) of {params['horizon']}: "
            f"give fewer `--validation-horizons` or a case with more rows.")
    length = min(map(len, curves))
    return np.stack([curve[:length] for curve in curves])


def chosen_epochs(curves, rule):
    """The epochs the folds' validation `curves` (folds, epochs) choose: where their mean is lowest ("min"), the
    fewest whose mean is within one standard error (over the folds) of that lowest ("1se", Breiman's rule), or the
    median of each fold's own lowest ("median")."""
    if rule == "median":
        return int(np.median(np.argmin(curves, axis=1))) + 1
    mean = curves.mean(axis=0)
    best = int(np.argmin(mean))
    if rule == "min" or len(curves) < 2:
        return best + 1
    margin = curves[:, best].std(ddof=1) / np.sqrt(len(curves))
    return int(np.flatnonzero(mean <= mean[best] + margin)[0]) + 1


@contextlib.contextmanager
def without_lr_schedule():
    """The fold networks train at a constant learning rate (no `ReduceLROnPlateau`), as the refit then replays."""
    default = core.default_callbacks
    core.default_callbacks = lambda *a, **k: [c for c in default(*a, **k)
                                              if not isinstance(c, keras.callbacks.ReduceLROnPlateau)]
    try:
        yield
    finally:
        core.default_callbacks = default


@contextlib.contextmanager
def epochs_chosen(history):
    """For the fit inside: the main network's refit and rolling origins train as `history` (the folds') says."""
    refitted, origin_evidence = fitting.refitted, fitting.origin_evidence
    state = {"history": history}

    def folds_refitted(training, own, *args, **kwargs):
        # Only `fit_window_model`'s call of `refitted` comes here: `level` calls the name it imported, so the
        # level network's refit is never patched. Once only, in case another training follows.
        chosen, state["history"] = state["history"] or own, None
        return refitted(training, chosen, *args, **kwargs)

    def folds_origins(training, own, *args, **kwargs):
        return origin_evidence(training, state["history"] or own, *args, **kwargs)

    fitting.refitted, fitting.origin_evidence = folds_refitted, folds_origins
    try:
        yield
    finally:
        fitting.refitted, fitting.origin_evidence = refitted, origin_evidence


def run(name, seed, folds, max_epochs, rule, validation_horizons=1):
    load, target, lookback, horizon, _, _, keywords = forecast_suite.CASES[name]
    params = {"lookback": lookback, "horizon": horizon, "target": target, "seed": seed, "verbose": 0, **keywords}
    with warnings.catch_warnings(), without_lr_schedule():
        warnings.simplefilter("ignore")
        curves = fold_curve(params, forecast_suite.training_part(name, load()), folds, max_epochs, validation_horizons)
    best, used = chosen_epochs(curves, rule), len(curves)
    marks = [1.0] * (best - 1) + [0.0]  # lowest at the chosen epoch, as `refit.best_epochs` reads a history
    history = {"loss": marks, "val_loss": marks, "learning_rate": [lstm_toolkit.Forecaster().learning_rate] * best}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with epochs_chosen(history):
            folded = forecast_suite.run_case(name, {}, seed)
        default = forecast_suite.run_case(name, {}, seed)
    return {"case": name, "seed": seed, "folds": used, "epochs": best, "default": default["model"],
            "default_epochs": default["epochs"], "folds_model": folded["model"],
            "fallback": folded["fallback"], "ets_damped": default["ets_damped"], "theta": default["theta"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(forecast_suite.CASES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-epochs", type=int, default=150)
    parser.add_argument("--rule", choices=("min", "1se", "median"), default="min")
    parser.add_argument("--validation-horizons", type=int, default=1, help="each fold validated on this many horizons")
    parser.add_argument("--held-out", action="store_true",
                        help="instead of --cases, the 15 held-out cases of shampoo's shape (user_series.shampoo_shaped)")
    args = parser.parse_args(argv)
    if args.held_out:
        held_out = user_series.shampoo_shaped()
        forecast_suite.CASES.update(held_out)  # this process's registry of cases, for `run`
        args.cases = list(held_out)
    print(f"# fold_epochs ({machine()}): {args.folds} folds, up to {args.max_epochs} epochs, rule {args.rule}, "
          f"{args.validation_horizons} validation horizon(s) a fold, "
          f"seeds {args.seeds}\n",
          flush=True)
    rows = []
    for name in args.cases:
        for seed in args.seeds:
            row = run(name, seed, args.folds, args.max_epochs, args.rule, args.validation_horizons)
            rows.append(row)
            print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                  flush=True)
    frame = pd.DataFrame(rows).groupby("case", sort=False)
    table = pd.DataFrame({"default": frame["default"].mean(), "spread": frame["default"].agg(np.ptp),
                          "default_epochs": frame["default_epochs"].mean(),
                          "folds_model": frame["folds_model"].mean(), "folds_spread": frame["folds_model"].agg(np.ptp),
                          "fold_epochs": frame["epochs"].mean(), "ets_damped": frame["ets_damped"].mean(),
                          "theta": frame["theta"].mean()})
    print("\n" + forecast_suite.markdown(table))
    print(f"\nmean over the cases: default {table['default'].mean():.4f}, folds {table['folds_model'].mean():.4f}, "
          f"damped ETS {table['ets_damped'].mean():.4f}, Theta {table['theta'].mean():.4f}; folds lower on "
          f"{int((table['folds_model'] < table['default']).sum())} of {len(table)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
