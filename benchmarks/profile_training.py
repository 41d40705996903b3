"""Where a recurrent training step spends its CPU time: TensorFlow's profiler, op by op, next to PyTorch's.

Two trainings, each profiled with TensorFlow's own profiler (`tf.profiler.experimental`) over whole
epochs after a first one (tracing excluded), once with TensorFlow's oneDNN kernels off and once on,
each in a process of its own (TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` once, while it loads):

- `tutorial`: the tutorial model (LSTM 128 -> LSTM 64 -> Dense 32 -> Dense 1), lookback 60, batch 32,
  random data, plain `model.fit` with Adam + clipnorm;
- `forecaster`: `Forecaster(lookback=168, horizon=24)` with its defaults on Seattle hourly temperature
  (first 5,600 rows): three calls into its compiled training step (its compilation chosen as the
  defaults choose it), after two (tracing, the XLA probe); a profile of the whole fit would not fit in memory.

The profile's events are summed by what they are: matrix products (MatMul, oneDNN's _MklMatMul, Einsum),
the gates' element-wise ops, the loop's bookkeeping (TensorList pushes and stacks, slicing, control
flow), the optimizer (Adam and the clipping), per phase (the forward loop, the gradient's loop); the
executor's own time (its `Process` events less the kernels they ran); the input pipeline (tf.data's
threads); and the Python side (wall time outside the compiled training function: Keras' loop,
callbacks; on a shared virtual machine this row also holds the time the process was not scheduled, so
it moves most between runs). The same model in PyTorch's loop is profiled with `torch.profiler` when torch is installed
(`pip install torch==2.13.0`, benchmarks only).

Run: python benchmarks/profile_training.py [--cases tutorial forecaster torch] [--out results/profile_training.md]
"""

import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _common import machine  # noqa: E402

MATMUL = ("MatMul", "_MklMatMul", "BatchMatMulV2", "_MklBatchMatMulV2", "Einsum", "_MklEinsum", "_MklNativeFusedMatMul",
          "_FusedMatMul")
GATES = ("Sigmoid", "Tanh", "Mul", "AddV2", "Add", "Sub", "Split", "SplitV", "ConcatV2", "BiasAdd", "SigmoidGrad",
         "TanhGrad", "BiasAddGrad", "AddN", "Square", "Relu", "ReluGrad")
LOOP = ("TensorListPushBack", "TensorListPopBack", "TensorListStack", "TensorListFromTensor", "TensorListGetItem",
        "TensorListSetItem", "TensorListReserve", "TensorListElementShape", "StridedSlice", "StridedSliceGrad", "Less",
        "LogicalAnd", "Enter", "Exit", "Merge", "Switch", "NextIteration", "LoopCond", "Identity", "ZerosLike",
        "Transpose", "_MklTranspose", "Fill", "Reshape", "Shape", "Const")


def category(node, op):
    phase = "optimizer" if ("/adam/" in node or "clip_by" in node) else ("gradient" if "gradient" in node else "forward")
    if op in MATMUL:
        kind = "matrix products"
    elif op in GATES:
        kind = "element-wise (gates)"
    elif op in LOOP:
        kind = "loop bookkeeping"
    else:
        kind = "other ops"
    return kind if phase == "optimizer" and kind != "matrix products" else f"{kind}, {phase}"


def summarise(logdir, wall):
    """Sums one profile's events (seconds) by category; see the module docstring."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    with open(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)[0], "rb") as handle:
        space.ParseFromString(handle.read())
    totals, counts = collections.Counter(), collections.Counter()
    compute_threads = 0
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            events = [(names.get(event.metadata_id, "?"), event.duration_ps / 1e12) for event in line.events]
            if line.name.startswith("tf_Compute"):
                compute_threads += 1
                process = sum(seconds for name, seconds in events if name == "ExecutorState::Process")
                kernels = 0.0
                for name, seconds in events:
                    if ":" in name and not name.startswith("ExecutorState"):
                        node, op = name.rsplit(":", 1)
                        totals[category(node, op)] += seconds
                        counts["op runs"] += 1
                        kernels += seconds
                totals["executor (scheduling, between kernels)"] += max(process - kernels, 0.0)
            elif line.name.startswith("tf_data"):
                totals["input pipeline (tf.data threads)"] += sum(seconds for name, seconds in events if name in (
                    "DoCompute", "ParallelMapProduce", "PrefetchProduce") or name.endswith("GatherV2"))
            elif line.name == "python":
                graph = sum(seconds for name, seconds in events if name == "TFE_Py_ExecuteCancelable")
                totals["outside the compiled training function (Python, Keras' loop, callbacks)"] += max(wall - graph, 0.0)
    return totals, counts, compute_threads


def profile_tutorial(epochs=3, lookback=60, n=1280):
    import numpy as np

    import lstm_toolkit as lt
    from lstm_toolkit.backend import keras, tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, lookback, 1)).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    model = lt.build_model(lt.ModelConfig(units=(128, 64), dense_units=(32,), window_norm="none"), lookback, 1)
    model.compile(optimizer=keras.optimizers.Adam(clipnorm=1.0), loss="mse")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # tracing
    logdir = tempfile.mkdtemp(prefix="profile_tutorial_")
    tf.profiler.experimental.start(logdir)
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    wall = time.perf_counter() - start
    tf.profiler.experimental.stop()
    return logdir, wall, n * epochs


def profile_forecaster(first_call=3, calls=3):
    """Profiles `calls` calls into the compiled training step of the Forecaster's first training, from the
    `first_call`-th on (a call runs `steps_per_execution` batches), then ends that training: a profile of
    the whole fit would not fit in memory."""
    import lstm_toolkit as lt
    from lstm_toolkit.backend import keras, tf

    class ProfileWindow(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen, self.start, self.wall, self.batches, self.logdir, self.last_end = 0, None, None, 0, None, -1

        def on_epoch_begin(self, epoch, logs=None):
            self.last_end = -1

        def on_train_batch_end(self, batch, logs=None):
            if self.start is not None and self.wall is None:
                self.batches += batch - self.last_end  # a call runs steps_per_execution batches
            self.last_end = batch

        def on_train_batch_begin(self, batch, logs=None):
            self.seen += 1
            if self.seen == first_call and self.logdir is None:
                self.logdir = tempfile.mkdtemp(prefix="profile_forecaster_")
                tf.profiler.experimental.start(self.logdir)
                self.start = time.perf_counter()
            elif self.seen == first_call + calls and self.wall is None:
                self.wall = time.perf_counter() - self.start
                tf.profiler.experimental.stop()
                self.model.stop_training = True

    frame = lt.datasets.load("seattle_hourly_temperature").iloc[:5600]
    window = ProfileWindow()
    lt.Forecaster(lookback=168, horizon=24, target="temp", seed=0, verbose=0, callbacks=[window]).fit(frame)
    return window.logdir, window.wall, window.batches * 64


def child(case):
    """Runs one TensorFlow case in this process and prints its summary as JSON."""
    from lstm_toolkit.backend import onednn_enabled

    logdir, wall, work = (profile_tutorial if case == "tutorial" else profile_forecaster)()
    totals, counts, threads = summarise(logdir, wall)
    print(json.dumps({"wall": wall, "work": work, "totals": totals, "op_runs": counts["op runs"], "threads": threads,
                      "onednn": onednn_enabled()}))


def run_child(case, onednn):
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, __file__, "--child", case], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def profile_torch(epochs=3, lookback=60, n=1280):
    try:
        import torch
    except ImportError:
        return None
    from _common import torch_tutorial_model

    torch.manual_seed(0)
    model = torch_tutorial_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    inputs, targets = torch.randn(n, lookback, 1), torch.randn(n, 1)

    def epoch():
        for batch in torch.randperm(n).split(32):
            optimizer.zero_grad()
            loss_fn(model(inputs[batch]), targets[batch]).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()

    epoch()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for _ in range(epochs):
            epoch()
        wall = time.perf_counter() - start
    rows = sorted(prof.key_averages(), key=lambda row: row.self_cpu_time_total, reverse=True)
    return wall, n * epochs, [(row.key, row.self_cpu_time_total / 1e6, row.count) for row in rows[:12]]


def table(title, runs):
    print(f"\n## {title}\n")
    print("| seconds per 1,000 windows | " + " | ".join(f"oneDNN {'on' if r['onednn'] else 'off'}" for r in runs) + " |")
    print("|---|" + "---|" * len(runs))
    print("| wall | " + " | ".join(f"{1000 * r['wall'] / r['per']:.2f}" for r in runs) + " |")
    keys = sorted({key for r in runs for key in r["totals"]}, key=lambda k: -max(r["totals"].get(k, 0) for r in runs))
    for key in keys:
        print(f"| {key} | " + " | ".join(f"{1000 * r['totals'].get(key, 0) / r['per']:.2f}" for r in runs) + " |")
    print("| kernels run per window | " + " | ".join(f"{r['op_runs'] / r['per']:.0f}" for r in runs) + " |")
    print(f"\n(op times are summed over TensorFlow's {runs[0]['threads']} compute threads, so they can add up to more "
          "than the wall time; the profiler's own cost inflates the executor row.)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", nargs="+", default=["tutorial", "forecaster", "torch"],
                        choices=["tutorial", "forecaster", "torch"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    print(f"# Training profile ({machine()})")
    for case in ("tutorial", "forecaster"):
        if case not in args.cases:
            continue
        runs = [run_child(case, flag) for flag in ("0", "1")]
        if case == "tutorial":
            for run in runs:
                run["per"] = run["work"]
            table("Tutorial model, lookback 60, batch 32: 3 epochs of 1,280 windows", runs)
            for run in runs:
                print(f"- oneDNN {'on' if run['onednn'] else 'off'}: {run['work'] / run['wall']:,.0f} windows/s under the profiler")
        else:
            for run in runs:
                run["per"] = run["work"]
            table("Forecaster(lookback=168, horizon=24) defaults on Seattle hourly (5,600 rows): two calls into its "
                  "training step, batch 64", runs)
            for run in runs:
                print(f"- oneDNN {'on' if run['onednn'] else 'off'}: {run['work'] / run['wall']:,.0f} windows/s under the profiler")
    if "torch" in args.cases:
        result = profile_torch()
        if result is None:
            print("\nPyTorch not installed: `pip install torch==2.13.0` (benchmarks only).")
            return None
        wall, work, rows = result
        print(f"\n## PyTorch, the same tutorial model and loop: {work / wall:,.0f} windows/s under its profiler\n")
        print("| op (self CPU) | seconds per 1,000 windows | calls per window |\n|---|---|---|")
        for key, seconds, count in rows:
            print(f"| {key} | {1000 * seconds / work:.2f} | {count / work:.1f} |")
    return None


if __name__ == "__main__":
    main()
