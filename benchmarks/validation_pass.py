"""What reading the validation windows costs a default fit: each batch run eagerly (before) or the model compiled
once for the pass (`backend.in_inference_mode`, now).

`fit` reads a window model's validation windows in inference mode up to three times (the network's losses, its
reference's, and the combination with the ridge regression, `judging.window_losses`) and the ridge's training sample
once (`linear.fit_ridge`). An eager call runs a recurrent layer's loop step by step from Python. Each case is fit as
a user would, from `forecast_suite.py`'s cases (the settings given on top), both ways one after the other on the
same data, in interleaved rounds: the fit seconds, the seconds spent in the passes (timed apart: a whole fit's
seconds move by several on a busy VM), and whether the forecasts are equal.

Run: python benchmarks/validation_pass.py [--rounds 2] [--seed 0]
"""

import time

import forecast_suite as suite
from _common import compare_ways

from lstm_toolkit import backend
from lstm_toolkit.forecasting import judging, linear

# (case, Forecaster keywords on top of the case's): the README's quickstart (epochs=3 on a long hourly part), two
# default fits of the suite with long windows, and a short series.
CASES = (("seattle_L72_H24", {"epochs": 3}), ("seattle_L168_H24", {}), ("msft_close", {}), ("us_income", {}))


def eagerly(model, dataset):
    """The pass before: `model(x, training=False)` called eagerly on each batch."""
    for element in dataset:
        yield model(element[0], training=False), element


WAYS = {"each batch eagerly (before)": eagerly, "compiled once for the pass (now)": backend.in_inference_mode}


def fit_once(case, keywords, way, seed):
    """`(seconds, first forecast values, the passes' seconds)` of one fit of `case` on its training part."""
    passes = []

    def timed(model, dataset):  # the seconds spent producing the pass' outputs, not the caller's work on them
        passes.append(0.0)
        outputs, started = iter(WAYS[way](model, dataset)), time.perf_counter()
        for item in outputs:
            passes[-1] += time.perf_counter() - started
            yield item
            started = time.perf_counter()
        passes[-1] += time.perf_counter() - started

    judging.in_inference_mode = linear.in_inference_mode = timed
    try:
        seconds, forecast = suite.fit_and_forecast(case, keywords, seed)
    finally:
        judging.in_inference_mode = linear.in_inference_mode = backend.in_inference_mode
    return seconds, forecast, f", of which {len(passes)} passes {sum(passes):.2f} s ({', '.join(f'{p:.2f}' for p in passes)})"


if __name__ == "__main__":
    compare_ways("Validation pass cost", CASES, WAYS, fit_once)
