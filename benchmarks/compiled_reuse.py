"""What one `fit`'s trainings cost with a compiled model reused across them (`forecasting.compiled`, now) or a new
model traced for each (before).

A short series' default fit trains up to six networks of one form: the early-stopped selection run, a network at
each of four rolling origins and the refit (and the level network's selection run and refit). Keras traces each new
model's training step, about 0.6 s on 2 cores. Now a model no longer read takes the next training's initial weights
and normalisation scales (variables of `WindowNormalization`) and trains without a new trace. Each case is fit as a
user would, from `forecast_suite.py`'s cases, both ways one after the other on the same data, in interleaved rounds:
the fit seconds, how many training steps were traced, and whether the forecasts are equal.

Run: python benchmarks/compiled_reuse.py [--rounds 2] [--seed 0]
"""

import forecast_suite as suite
from _common import compare_ways

from lstm_toolkit.backend import keras
from lstm_toolkit.forecasting import compiled

# The short cases of the suite (one series under 2,000 training windows: selection run and refit, rolling origins
# where the validation part holds less than two horizons, the level network where it is trained) and a daily one.
CASES = (("lynx", {}), ("shampoo", {}), ("pbs_scripts", {}), ("us_income", {}), ("us_unemployment", {}),
         ("euro_equipment", {}), ("seattle_daily_wind", {}))
WAYS = ("a new model traced for each training (before)", "a compiled model reused (now)")


def fit_once(case, keywords, way, seed):
    """`(seconds, forecast values, the traces)` of one default fit of `case` on its training part."""
    traces, step, take = [], keras.Model.train_step, compiled.CompiledModels.take

    def counted(model, data):  # Python runs `train_step` once per trace
        traces.append(model)
        return step(model, data)

    keras.Model.train_step = counted
    if way == WAYS[0]:
        compiled.CompiledModels.take = lambda self, fresh, config, n_samples: None
    try:
        seconds, forecast = suite.fit_and_forecast(case, keywords, seed)
    finally:
        keras.Model.train_step, compiled.CompiledModels.take = step, take
    return seconds, forecast, f", {len(traces)} training steps traced"


if __name__ == "__main__":
    compare_ways("Compiled models reused across one fit's trainings", CASES, WAYS, fit_once)
