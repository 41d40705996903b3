"""What the XLA probe of `jit_compile="auto"` costs a fit, with the probe wherever the plan is large (before) and only
where the epochs certain to run are (`training.xla_pays`, now).

`jit_compile="auto"` plans XLA for a training of at least `XLA_MIN_WORK` windows x epochs and then times a few
steps with and without it (`choose_jit_compile`), which compiles the training step both ways. The plan counts every
epoch of `epochs`; with early stopping only `patience + 1` are certain. Each case is fit as a user would, from
`forecast_suite.py`'s cases (the settings given on top), both ways one after the other on the same data, in
interleaved rounds: the fit seconds, how many probes ran and what they chose, and whether the forecasts are equal.

Run: python benchmarks/xla_probe.py [--rounds 2] [--seed 0]
"""

import time

import forecast_suite as suite
from _common import compare_ways

from lstm_toolkit.training import xla

# (case, Forecaster keywords on top of the case's): the default fits whose plan passes XLA_MIN_WORK but whose
# early stopping may end them after patience + 1 epochs, a short series with the many epochs Keras users give
# early stopping, and a long series whose certain epochs still pass it.
CASES = (("us_income", {"epochs": 200, "level_member": False}), ("seattle_daily_wind", {}),
         ("seattle_daily_max", {}), ("msft_volume", {}))
WAYS = {"probe wherever the plan is large (before)": lambda n_samples, config, early_stopping=True: True,
        "probe where the certain epochs are large (now)": xla.xla_pays}


def fit_once(case, keywords, way, seed):
    """`(seconds, first forecast values, probes [(seconds, chose XLA)])` of one fit of `case` on its training part."""
    probes, choose = [], xla.choose_jit_compile

    def timed_probe(model, dataset):
        started = time.perf_counter()
        chosen = choose(model, dataset)
        probes.append((round(time.perf_counter() - started, 2), bool(chosen)))
        return chosen

    xla.choose_jit_compile, xla.xla_pays = timed_probe, WAYS[way]
    try:
        seconds, forecast = suite.fit_and_forecast(case, keywords, seed)
    finally:
        xla.choose_jit_compile, xla.xla_pays = choose, WAYS["probe where the certain epochs are large (now)"]
    return seconds, forecast, f", probes (s, chose XLA) {probes}"


if __name__ == "__main__":
    compare_ways("XLA probe cost", CASES, WAYS, fit_once)
