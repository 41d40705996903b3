"""What the XLA probe of `jit_compile="auto"` costs a fit, with the probe wherever the plan is large (before) and only
where the epochs certain to run are (`training.xla_pays`, now).

`jit_compile="auto"` plans XLA for a training of at least `XLA_MIN_WORK` windows x epochs and then times a few
steps with and without it (`choose_jit_compile`), which compiles the training step both ways. The plan counts every
epoch of `epochs`; with early stopping only `patience + 1` are certain. Each case is fit as a user would, from
`forecast_suite.py`'s cases (the settings given on top), both ways one after the other on the same data, in
interleaved rounds: the fit seconds, how many probes ran and what they chose, and whether the forecasts are equal.

Run: python benchmarks/xla_probe.py [--rounds 2] [--seed 0]
"""

import argparse
import json
import time
import warnings

import forecast_suite as suite
import numpy as np
from _common import machine

import lstm_toolkit
from lstm_toolkit.training import core

# (case, Forecaster keywords on top of the case's): the default fits whose plan passes XLA_MIN_WORK but whose
# early stopping may end them after patience + 1 epochs, a short series with the many epochs Keras users give
# early stopping, and a long series whose certain epochs still pass it.
CASES = (("us_income", {"epochs": 200, "level_member": False}), ("seattle_daily_wind", {}),
         ("seattle_daily_max", {}), ("msft_volume", {}))
WAYS = {"probe wherever the plan is large (before)": lambda n_samples, config, early_stopping=True: True,
        "probe where the certain epochs are large (now)": core.xla_pays}


def fit_once(case, keywords, seed, way):
    """`(seconds, probes [(seconds, chose XLA)], first forecast values)` of one fit of `case` on its training part."""
    load, target, lookback, horizon, fit_rows, _, case_keywords = suite.CASES[case]
    data = load()
    train = data.iloc[: suite.fit_rows_of(data, fit_rows)]
    probes, choose = [], core.choose_jit_compile

    def timed_probe(model, dataset):
        started = time.perf_counter()
        chosen = choose(model, dataset)
        probes.append((round(time.perf_counter() - started, 2), bool(chosen)))
        return chosen

    core.choose_jit_compile, core.xla_pays = timed_probe, WAYS[way]
    try:
        forecaster = lstm_toolkit.Forecaster(lookback=lookback, horizon=horizon, target=target, seed=seed, verbose=0,
                                             **{**case_keywords, **keywords})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            forecaster.fit(train)
            seconds = time.perf_counter() - start
            forecast = forecaster.predict(train).to_numpy().ravel()
    finally:
        core.choose_jit_compile, core.xla_pays = choose, WAYS["probe where the certain epochs are large (now)"]
    return seconds, probes, forecast


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"# XLA probe cost ({machine()}), seed {args.seed}, {args.rounds} interleaved rounds")
    table = {}
    for case, keywords in CASES:
        forecasts = {}
        for round_ in range(args.rounds):
            for way in WAYS:
                seconds, probes, forecast = fit_once(case, keywords, args.seed, way)
                forecasts.setdefault(way, forecast)
                table.setdefault((case, way), []).append(seconds)
                print(f"  round {round_}, {case} {json.dumps(keywords)}, {way}: fit {seconds:.2f} s, probes "
                      f"(s, chose XLA) {probes}", flush=True)
        before, now = forecasts.values()
        print(f"  {case}: forecasts equal: {bool(np.allclose(before, now, rtol=1e-5))} "
              f"(largest relative difference {float(np.max(np.abs(before - now) / np.maximum(np.abs(before), 1e-12))):.1e})")
    print("\n| case | settings | " + " | ".join(f"{way}, median fit s" for way in WAYS) + " |")
    print("|---|---|" + "---|" * len(WAYS))
    for case, keywords in CASES:
        medians = [float(np.median(table[(case, way)])) for way in WAYS]
        print(f"| {case} | {json.dumps(keywords) if keywords else 'defaults'} | "
              + " | ".join(f"{m:.1f}" for m in medians) + " |")


if __name__ == "__main__":
    main()
