"""Where `prepare` and `evaluate(by_series=True)` of a large panel spend their time: cProfile, top functions.

Issue 35 found `prepare` of 10,000 series taking 70.2 s on one 2-core EPYC where an earlier note measured 17.7 s.
This profile showed why: three quarters of it went to choosing the window normalisation, which ran each reference
forecast (`models.reference_forecast`, Keras ops) once per series and mode: ~40,000 eager TensorFlow dispatches of
tiny arrays, whose per-call cost depends on the machine and its load far more than arithmetic does. Now the
windows of many series go through each reference together (`forecasting.backtest.fit_reference_errors`).
`evaluate` built a pandas frame and a MultiIndex table per series; it now scores the arrays and builds one table.

The panel is `benchmarks/panel.py`'s (`datasets.synthetic_panel(n, 500)`, lookback 48, horizon 24, last 24 hours
held out); `evaluate` runs an untrained model (the time is not in the network).

Run: python benchmarks/profile_panel.py [n_series (default 2000)] [prepare|evaluate]
"""

import cProfile
import io
import pstats
import sys
import time
import warnings

import pandas as pd
from _common import machine

import lstm_toolkit
from lstm_toolkit import Forecaster


def main(n_series=2000, what="prepare"):
    warnings.simplefilter("ignore")
    panel = lstm_toolkit.datasets.synthetic_panel(n_series, 500, seed=0)
    last = panel.groupby("series")["timestamp"].transform("max")
    train = panel[panel["timestamp"] <= last - pd.Timedelta(hours=24)]
    fc = Forecaster(lookback=48, horizon=24, target="value", time_col="timestamp", series_id="series", epochs=1,
                    seed=0, verbose=0)
    profile = cProfile.Profile()
    if what == "prepare":
        work = lambda: fc.prepare(train)  # noqa: E731
    else:
        fc.prepare(train)
        fc.use_trained_model(fc.compile_network(fc.build_network(), lstm_toolkit.TrainingConfig(epochs=1)), {"loss": [0.0]})
        work = lambda: fc.evaluate(panel, by_series=True)  # noqa: E731
    started = time.perf_counter()
    profile.runcall(work)
    print(f"# {what} of {n_series} series: {time.perf_counter() - started:.1f} s under cProfile ({machine()})\n")
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(25)
    print(text.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, sys.argv[2] if len(sys.argv) > 2 else "prepare"))
