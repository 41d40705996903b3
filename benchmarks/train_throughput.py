"""Training throughput: the toolkit's `fit` against plain Keras and the tutorial's PyTorch loop.

Same data and model size for all: MSFT daily close (the shipped CSV), lookback
60 (`--lookback`), one-step target, the tutorial model Input(60, 1) -> LSTM 128
-> LSTM 64 -> Dense 32 -> Dense 1, batch 32, MSE, Adam. Samples per second are
training windows over the median epoch time, the first epoch (tracing,
compilation) excluded. All cases run in one process, interleaved: round after
round, every case in turn; each case reports its median round, and the
toolkit-to-plain-Keras ratio is the median of the per-round ratios (so a slow
moment of a shared machine lands on one round of every case, not on one case).
The CPU model and the compilation the toolkit chose are printed.

- plain Keras as a user runs it: `model.compile("adam", "mse")` then `model.fit(x, y)` on numpy windows,
  in a process of its own that imports TensorFlow before the toolkit, so TensorFlow chooses its kernels
  itself (oneDNN only on CPUs with AVX-512 VNNI or AMX); the toolkit turns oneDNN on
  (`lstm_toolkit.backend`), which is most of its lead on other CPUs;
- plain Keras in this process, with the toolkit's kernel setting (what the toolkit's own fit adds);
- plain Keras with `jit_compile=True`;
- plain Keras under the `mixed_bfloat16` policy (bf16 matrix products, on AMX tiles where the CPU has them);
- the toolkit: `training.compile_model` + `training.fit` on the lazy `tf.data`
  windows, with `TrainingConfig` defaults, and with single levers switched
  off/on (XLA off, on; with XLA on, steps per execution 1 instead of "auto") to show what each brings;
- the toolkit's segment model (`ModelConfig(architecture="segment")`, issue 21):
  the same layers over segments of the window (SegRNN), its segment length "auto";
- PyTorch (if installed; `pip install torch==2.13.0` from the local wheel, never a
  package dependency): the tutorial's loop, `nn.LSTM` x2 + `nn.Linear` x2,
  shuffled mini-batches, `zero_grad/backward/step` with gradient clipping.

Floors: the toolkit's default fit >= 1.5x plain Keras as a user runs it, at lookback 60 and 168 (issue 32;
1.0x in issue 21); the segment model >= 10x the default at lookback 336.

Run: python benchmarks/train_throughput.py [--epochs 4] [--rounds 3] [--lookback 60] [--rows N] [--cases ...]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
if "--worker" in sys.argv:  # plain Keras as a user runs it: TensorFlow loads first and chooses its own kernels
    import tensorflow  # noqa: F401
else:  # the toolkit loads TensorFlow, with its kernel setting, as a user of the toolkit gets it
    import lstm_toolkit.backend  # noqa: F401
import keras  # noqa: E402
from _common import cpu_model, machine, torch_tutorial_model  # noqa: E402

import lstm_toolkit as lt  # noqa: E402
from lstm_toolkit.data import WindowedSeries, WindowSpec  # noqa: E402
from lstm_toolkit.training import TrainingConfig, compile_model, fit, resolve_jit_compile, resolve_steps_per_execution  # noqa: E402

BATCH = 32
LOOKBACK = 60  # set by --lookback
CASES = ("plain_user", "plain", "plain_xla", "plain_bf16", "default", "spe1", "xla_off", "xla_on", "segment", "torch")
TUTORIAL = lt.ModelConfig(units=(128, 64), dense_units=(32,), window_norm="none")
SEGMENT = lt.ModelConfig(units=(128, 64), dense_units=(32,), window_norm="none", architecture="segment")


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def rate(n_samples, epoch_seconds):
    return n_samples / statistics.median(epoch_seconds[1:])


def data(rows=None):
    frame = lt.datasets.load("msft_daily_ohlcv")
    if rows:
        frame = frame.iloc[-rows:]
    series = WindowedSeries.from_frame(frame, WindowSpec(lookback=LOOKBACK, targets="Close"), validation=0.1)
    starts = series.starts("train")
    x = series.windows_ending_at(starts + LOOKBACK - 1)
    y = series.targets[starts[:, None] + LOOKBACK][:, :, None]
    return series, x, y


def tutorial_model(config=TUTORIAL):
    keras.utils.set_random_seed(0)
    return lt.build_model(config, LOOKBACK, 1)


def plain_keras(x, y, epochs, jit, policy="float32"):
    keras.mixed_precision.set_dtype_policy(policy)  # the layers take it when they are made
    try:
        model = tutorial_model()
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    model.compile(optimizer="adam", loss="mse", **({"jit_compile": True} if jit else {}))
    timer = EpochTimer()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
    return rate(len(x), timer.times), model.count_params()


def plain_keras_as_users_run_it(args):
    """`plain_keras` in a child process with TensorFlow's own kernel choice; (samples/s, parameters)."""
    env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    command = [sys.executable, __file__, "--worker", "--epochs", str(args.epochs), "--lookback", str(args.lookback)]
    if args.rows:
        command += ["--rows", str(args.rows)]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["rate"], answer["parameters"]


def toolkit(series, epochs, model_config=TUTORIAL, **overrides):
    config = TrainingConfig(batch_size=BATCH, epochs=epochs, seed=0, verbose=0, patience=epochs, **overrides)
    model = compile_model(tutorial_model(model_config), config, n_samples=series.n_windows("train"))
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
    global LOOKBACK
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per case (the first is not timed)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every case")
    parser.add_argument("--lookback", type=int, default=60, help="rows per window (default: 60, the tutorial's)")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES),
                        help="which cases to run (default: all; at long lookbacks e.g. plain default segment torch)")
    parser.add_argument("--rows", type=int, help="only the last ROWS rows of the series (fewer windows: shorter epochs)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    LOOKBACK = args.lookback
    series, x, y = data(args.rows)
    if args.worker:
        speed, count = plain_keras(x, y, args.epochs, jit=False)
        print(json.dumps({"rate": speed, "parameters": count}))
        return
    from lstm_toolkit.backend import onednn_enabled

    defaults = TrainingConfig()
    chosen = resolve_jit_compile(defaults.jit_compile, series.n_windows("train") * args.epochs)
    steps = resolve_steps_per_execution(defaults.steps_per_execution, series.n_windows("train") * args.epochs)
    print(f"# Training throughput, MSFT close, lookback {LOOKBACK}, batch {BATCH}, {len(x)} windows "
          f"({machine()}, Keras {keras.__version__})\n")
    print(f"CPU: {cpu_model()}; the toolkit's default compilation here: jit_compile={defaults.jit_compile!r} -> "
          f"{chosen!r} (\"auto\": kept only if a timed probe finds it faster), "
          f"steps_per_execution={defaults.steps_per_execution!r} -> {steps}; oneDNN kernels in this process: "
          f"{onednn_enabled()}\n")
    cases = [
        ("plain Keras model.fit as a user runs it (own process, TensorFlow's kernel choice)",
         lambda: plain_keras_as_users_run_it(args)),
        ("plain Keras model.fit in this process (the toolkit's oneDNN setting)", lambda: plain_keras(x, y, args.epochs, jit=False)),
        ("plain Keras, jit_compile=True", lambda: plain_keras(x, y, args.epochs, jit=True)),
        ("plain Keras, mixed_bfloat16 (bf16 matrix products: AMX where the CPU has it)",
         lambda: plain_keras(x, y, args.epochs, jit=False, policy="mixed_bfloat16")),
        (f"toolkit fit, defaults (jit_compile={defaults.jit_compile!r} -> {chosen!r})", lambda: toolkit(series, args.epochs)),
        ("toolkit fit, XLA on, steps per execution 1",
         lambda: toolkit(series, args.epochs, jit_compile=True, steps_per_execution=1)),
        ("toolkit fit, XLA off", lambda: toolkit(series, args.epochs, jit_compile=False)),
        ("toolkit fit, XLA on", lambda: toolkit(series, args.epochs, jit_compile=True)),
        ("toolkit fit, segment model (defaults)", lambda: toolkit(series, args.epochs, model_config=SEGMENT)),
        ("PyTorch point-wise LSTM loop (torch " + _torch_version() + ")", lambda: pytorch(x, y, args.epochs)),
    ]
    cases = [case for key, case in zip(CASES, cases) if key in args.cases]
    speeds = {name: [] for name, _ in cases}
    params = {}
    for _ in range(args.rounds):
        for name, run in cases:
            speed, count = run()
            if speed is not None:
                speeds[name].append(speed)
                params[name] = count
                print(f"  {name}: {speed:,.0f} samples/s", flush=True)
    names = {key: name for key, (name, _) in zip([k for k in CASES if k in args.cases], cases)}
    print("| case | samples/s (median of rounds) | rounds | parameters |\n|---|---|---|---|", flush=True)
    for name in names.values():
        rates = speeds[name]
        shown = f"{statistics.median(rates):,.0f}" if rates else "n/a"
        print(f"| {name} | {shown} | {', '.join(f'{r:,.0f}' for r in rates) or 'n/a'} | {params.get(name, 'n/a')} |")
    def rates(key):
        return speeds[names[key]] if key in names else []

    user, plain, ours = rates("plain_user"), rates("plain"), rates("default")
    segment, torch_rates = rates("segment"), rates("torch")
    if rates("spe1") and rates("xla_on"):  # both pinned to XLA: the default's probe may choose either way
        print(f"\nXLA on, steps per execution {steps} / 1, median of per-round ratios: "
              f"{statistics.median(a / b for a, b in zip(rates('xla_on'), rates('spe1'))):.2f}x")
    if user and ours:
        ratio = statistics.median(o / p for o, p in zip(ours, user))
        print(f"\nToolkit default / plain Keras as a user runs it, median of per-round ratios: {ratio:.2f}x "
              f"(floor 1.5x: {'met' if ratio >= 1.5 else 'NOT met'})")
    if plain and ours:
        print(f"Toolkit default / plain Keras in this process (same kernels), median of per-round ratios: "
              f"{statistics.median(o / p for o, p in zip(ours, plain)):.2f}x")
    if plain and rates("plain_bf16"):
        print(f"Plain Keras mixed_bfloat16 / float32, median of per-round ratios: "
              f"{statistics.median(b / p for b, p in zip(rates('plain_bf16'), plain)):.2f}x")
    if segment and ours:
        print(f"Segment model / toolkit default, median of per-round ratios: "
              f"{statistics.median(s / o for s, o in zip(segment, ours)):.1f}x")
    if torch_rates and ours:
        print(f"Toolkit default / PyTorch: {statistics.median(ours) / statistics.median(torch_rates):.2f}x")
    if torch_rates and segment:
        print(f"Segment model / PyTorch: {statistics.median(segment) / statistics.median(torch_rates):.2f}x")


def _torch_version():
    try:
        import torch

        return torch.__version__
    except ImportError:
        return "not installed"


if __name__ == "__main__":
    main()
