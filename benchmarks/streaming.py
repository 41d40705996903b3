"""Streaming latency: the toolkit's streamers next to the usual ways to run an LSTM on one new row.

The classic tutorial model, Input(60, 1) -> LSTM 128 -> LSTM 64 -> Dense 32 ->
Dense 1, batch 1, p50 (and p90) over `--calls` calls, all in one process:

- Keras `model.predict(window)`, eager `model(window)`, a `tf.function` on one
  window, and a stateful one-step `tf.function` (untrained weights);
- the same step in LiteRT with explicit state, in NumPy, and (if torch is
  installed) the tutorial's PyTorch model in `eval()` + `no_grad` on one window;
- the toolkit's streamers per `update`, scaling and unscaling included: the
  stateful Forecaster's `streamer()` (NumPy engine and TF engine), the window
  Forecaster's ring-buffer `streamer()`, and the exported `.tflite` through
  `streaming.load_litert`.

Floors (issue 7): the in-process streamer of a stateful model p50 <= 0.6 ms per
update; through LiteRT p50 <= 0.06 ms. Also: sustained updates per second for
8 independent streams updated together.

Run: python benchmarks/streaming.py [--calls 300]
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _common import machine, torch_tutorial_model  # noqa: E402

import lstm_toolkit as lt  # noqa: E402
from lstm_toolkit.serving.streaming import load_litert  # noqa: E402

LOOKBACK = 60
TUTORIAL = lt.ModelConfig(units=(128, 64), dense_units=(32,))


def p50_p90(function, calls, warmup=20):
    for _ in range(warmup):
        function()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    times = np.sort(np.asarray(times)) * 1e3
    return float(np.median(times)), float(times[int(0.9 * (len(times) - 1))])


def keras_paths(calls):
    model = lt.build_model(lt.ModelConfig(units=(128, 64), dense_units=(32,), window_norm="none"), LOOKBACK, 1)
    window = np.random.default_rng(0).normal(size=(1, LOOKBACK, 1)).astype("float32")
    compiled = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec((1, LOOKBACK, 1))])
    rows = [
        ("Keras model.predict(window)", p50_p90(lambda: model.predict(window, verbose=0), max(30, calls // 10), 3)),
        ("Keras model(window), eager", p50_p90(lambda: model(window, training=False), max(30, calls // 10), 3)),
        ("tf.function on one window", p50_p90(lambda: compiled(window), calls)),
    ]
    sequence = lt.models.build_sequence_model(TUTORIAL, n_features=1)
    runner = lt.tbptt.SequenceRunner(sequence, TUTORIAL)
    states = runner.zero_states(1)
    row = np.zeros((1, 1), "float32")
    rows.append(("stateful LSTM one step, tf.function", p50_p90(lambda: runner.step_function(row, *states), calls)))
    stepper = lt.kernels.NumpyStepper(sequence, TUTORIAL, dtype="float32")
    numpy_states = [s.astype("float32") for s in states]
    rows.append(("NumPy one step (toolkit kernels)", p50_p90(lambda: stepper.step(row, numpy_states), calls)))
    return rows


def torch_path(calls):
    model = torch_tutorial_model()
    if model is None:
        return [("PyTorch eval + no_grad, one window", None)]
    import torch

    model.eval()
    window = torch.randn(1, LOOKBACK, 1)

    def call():
        with torch.no_grad():
            model(window)

    return [("PyTorch eval + no_grad, one window", p50_p90(call, calls))]


def toolkit_paths(calls, folder):
    df = lt.datasets.load("msft_daily_ohlcv")[["Close"]].iloc[:1500]
    common = dict(lookback=LOOKBACK, horizon=1, target="Close", model=TUTORIAL, epochs=1, verbose=0, seed=0)
    stateful = lt.Forecaster(stateful=True, **common).fit(df)
    window = lt.Forecaster(**common).fit(df)
    values = df["Close"].to_numpy()
    rows = []

    def stream_timing(streamer):
        position = iter(range(10**9))
        return p50_p90(lambda: streamer.update(values[next(position) % len(values)]), calls, warmup=LOOKBACK)

    rows.append(("toolkit streamer, stateful, NumPy engine", stream_timing(stateful.streamer())))
    rows.append(("toolkit streamer, stateful, TF engine", stream_timing(stateful.streamer(engine="tf"))))
    rows.append(("toolkit streamer, window model (ring buffer)", stream_timing(window.streamer())))
    path = stateful.export(os.path.join(folder, "stateful.tflite"))
    rows.append(("toolkit streamer, stateful, LiteRT file", stream_timing(load_litert(path))))
    window_path = window.export(os.path.join(folder, "window.tflite"))
    rows.append(("toolkit streamer, window model, LiteRT file", stream_timing(load_litert(window_path))))
    interpreter_step = load_litert(path).step_fn
    states = [np.zeros((1, s), "float32") for s in lt.models.state_sizes(TUTORIAL)]
    row = np.zeros((1, 1), "float32")
    rows.insert(0, ("LiteRT one step, explicit state (interpreter by tensor index)", p50_p90(lambda: interpreter_step(row, states), calls)))

    multi = []
    for name, streamer in (
        ("stateful, NumPy engine", stateful.streamer(n_streams=8)),
        ("stateful, LiteRT file", load_litert(path, n_streams=8)),
        ("window model", window.streamer(n_streams=8)),
    ):
        batch = np.tile(values[:8, None], (1, 1))
        for _ in range(LOOKBACK):
            streamer.update(batch)
        start, n = time.perf_counter(), max(50, calls // 2)
        for _ in range(n):
            streamer.update(batch)
        multi.append((name, 8 * n / (time.perf_counter() - start)))
    return rows, multi


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    print(f"# Streaming latency, batch 1, p50 / p90 over {args.calls} calls ({machine()}, TF {tf.__version__})\n")
    with tempfile.TemporaryDirectory() as folder:
        rows = keras_paths(args.calls) + torch_path(args.calls)
        toolkit, multi = toolkit_paths(args.calls, folder)
    print("| path | p50 ms | p90 ms |\n|---|---|---|")
    for name, result in rows + toolkit:
        print(f"| {name} | " + ("n/a | n/a |" if result is None else f"{result[0]:.4f} | {result[1]:.4f} |"))
    print("\n| 8 streams updated together | updates/s (all streams) |\n|---|---|")
    for name, rate in multi:
        print(f"| {name} | {rate:,.0f} |")
    found = dict(toolkit)
    stateful_p50 = found["toolkit streamer, stateful, NumPy engine"][0]
    litert_p50 = found["toolkit streamer, stateful, LiteRT file"][0]
    print(
        f"\nFloors: in-process stateful streamer p50 {stateful_p50:.4f} ms (<= 0.6: "
        f"{'met' if stateful_p50 <= 0.6 else 'NOT met'}); LiteRT streamer p50 {litert_p50:.4f} ms "
        f"(<= 0.06: {'met' if litert_p50 <= 0.06 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
