"""Training throughput: the toolkit's `fit` against plain Keras and the tutorial's PyTorch loop.

Same data and model size for all: MSFT daily close (the shipped CSV), lookback
60, one-step target, the tutorial model Input(60, 1) -> LSTM 128 -> LSTM 64 ->
Dense 32 -> Dense 1, batch 32, MSE, Adam. Samples per second are training
windows over the median epoch time, the first epoch (tracing, compilation)
excluded. All cases run in one process, in turn, `--rounds` times; each case
reports its best round.

- plain Keras: `model.compile("adam", "mse")` then `model.fit(x, y)` on numpy windows;
- plain Keras with `jit_compile=True`;
- the toolkit: `training.compile_model` + `training.fit` on the lazy `tf.data`
  windows, with `TrainingConfig` defaults, and with single levers switched
  off/on (XLA, steps per execution) to show what each brings;
- PyTorch (if installed; `pip install torch==2.13.0` from the local wheel, never a
  package dependency): the tutorial's loop, `nn.LSTM` x2 + `nn.Linear` x2,
  shuffled mini-batches, `zero_grad/backward/step` with gradient clipping.

Floor (issue 7): the toolkit's fit >= 1.3x plain Keras at the same batch size.

Run: python benchmarks/train_throughput.py [--epochs 4]
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import machine, torch_tutorial_model  # noqa: E402


import keras  # noqa: E402
import lstm_toolkit as lt  # noqa: E402
from lstm_toolkit.data import WindowedSeries, WindowSpec  # noqa: E402
from lstm_toolkit.training import TrainingConfig, compile_model, fit  # noqa: E402

LOOKBACK, BATCH = 60, 32
TUTORIAL = lt.ModelConfig(units=(128, 64), dense_units=(32,), window_norm="none")


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def rate(n_samples, epoch_seconds):
    return n_samples / statistics.median(epoch_seconds[1:])


def data():
    frame = lt.datasets.load("msft_daily_ohlcv")
    series = WindowedSeries.from_frame(frame, WindowSpec(lookback=LOOKBACK, targets="Close"), validation=0.1)
    starts = series.starts("train")
    x = series.windows_ending_at(starts + LOOKBACK - 1)
    y = series.targets[starts[:, None] + LOOKBACK][:, :, None]
    return series, x, y


def tutorial_model():
    keras.utils.set_random_seed(0)
    return lt.build_model(TUTORIAL, LOOKBACK, 1)


def plain_keras(x, y, epochs, jit):
    model = tutorial_model()
    model.compile(optimizer="adam", loss="mse", **({"jit_compile": True} if jit else {}))
    timer = EpochTimer()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
    return rate(len(x), timer.times), model.count_params()


def toolkit(series, epochs, **overrides):
    config = TrainingConfig(batch_size=BATCH, epochs=epochs, seed=0, verbose=0, patience=epochs, **overrides)
    model = compile_model(tutorial_model(), config, n_samples=series.n_windows("train"))
    timer = EpochTimer()
    fit(model, series.dataset("train", batch_size=BATCH, seed=0), config=config, callbacks=[timer])
    return rate(series.n_windows("train"), timer.times), model.count_params()


def pytorch(x, y, epochs):
    try:
        import torch
    except ImportError:
        return None, None
    torch.manual_seed(0)
    model = torch_tutorial_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y.reshape(len(y), 1))
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        for batch in torch.randperm(len(inputs)).split(BATCH):
            optimizer.zero_grad()
            loss = loss_fn(model(inputs[batch]), targets[batch])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        times.append(time.perf_counter() - start)
    return rate(len(x), times), sum(p.numel() for p in model.parameters())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per case (the first is not timed)")
    parser.add_argument("--rounds", type=int, default=2, help="times each case runs (its best round counts)")
    args = parser.parse_args()
    series, x, y = data()
    print(f"# Training throughput, MSFT close, lookback {LOOKBACK}, batch {BATCH}, {len(x)} windows "
          f"({machine()}, Keras {keras.__version__})\n")
    defaults = TrainingConfig()
    cases = [
        ("plain Keras model.fit (numpy windows)", lambda: plain_keras(x, y, args.epochs, jit=False)),
        ("plain Keras, jit_compile=True", lambda: plain_keras(x, y, args.epochs, jit=True)),
        (f"toolkit fit, defaults (jit_compile={defaults.jit_compile!r}, "
         f"steps_per_execution={defaults.steps_per_execution})", lambda: toolkit(series, args.epochs)),
        ("toolkit fit, XLA off", lambda: toolkit(series, args.epochs, jit_compile=False)),
        ("toolkit fit, steps_per_execution=16", lambda: toolkit(series, args.epochs, steps_per_execution=16)),
        ("PyTorch loop (torch " + _torch_version() + ")", lambda: pytorch(x, y, args.epochs)),
    ]
    # The cases run in turn, `--rounds` times over; each keeps its best round, so a
    # slow moment of this shared machine does not land on one case only.
    results = {name: (None, None) for name, _ in cases}
    for _ in range(args.rounds):
        for name, run in cases:
            speed, params = run()
            if speed is not None and (results[name][0] is None or speed > results[name][0]):
                results[name] = (speed, params)
    rows = [(name, *results[name]) for name, _ in cases]
    print("| case | samples/s | parameters |\n|---|---|---|")
    for name, speed, params in rows:
        print(f"| {name} | " + ("n/a" if speed is None else f"{speed:,.0f}") + f" | {params or 'n/a'} |")
    plain, ours, torch_rate = rows[0][1], rows[2][1], rows[-1][1]
    print(f"\nToolkit / plain Keras: {ours / plain:.2f}x (floor 1.3x: {'met' if ours / plain >= 1.3 else 'NOT met'})")
    if torch_rate:
        print(f"Toolkit / PyTorch: {ours / torch_rate:.2f}x")


def _torch_version():
    try:
        import torch

        return torch.__version__
    except ImportError:
        return "not installed"


if __name__ == "__main__":
    main()
