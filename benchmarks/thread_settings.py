"""TensorFlow's thread pools on a small machine: intra-op and inter-op threads, measured in processes of their own.

Issue 32 lists thread settings among the levers to measure. TensorFlow fixes its thread pools when its runtime starts,
so every setting runs in a fresh process (`tf.config.threading` before the first op), round after round, every
setting in turn (a slow moment of a shared machine lands on one round of each). Two workloads:

- `tutorial`: `train_throughput.py`'s tutorial model (LSTM 128 -> LSTM 64 -> Dense 32 -> Dense 1, lookback 60,
  batch 32) trained with the toolkit's `fit`, samples per second over the median epoch (the first excluded);
- a `forecast_suite.py` case (default `msft_volume`): the default Forecaster's fit, in seconds, and its MASE.

Settings `(intra, inter)`: (0, 0) is TensorFlow's choice (as many threads as cores, in both pools).

Run: python benchmarks/thread_settings.py [--rounds 5] [--settings 0,0 1,1 1,2] [--case msft_volume] [--skip-case]
"""

import argparse
import json
import statistics
import subprocess
import sys
import warnings
from pathlib import Path

from _common import machine

HERE = Path(__file__).resolve().parent


def child(intra, inter, workload):
    """Runs one workload with the thread setting; prints its result as JSON."""
    import lstm_toolkit.backend  # noqa: F401  (the toolkit's kernel setting, before TensorFlow starts)
    import tensorflow as tf

    if intra or inter:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    sys.path.insert(0, str(HERE))
    if workload == "tutorial":
        import train_throughput

        series, _, _ = train_throughput.data()
        rate, _ = train_throughput.toolkit(series, 4)
        print(json.dumps({"samples_per_s": rate}))
        return
    import forecast_suite

    warnings.simplefilter("ignore")
    row = forecast_suite.run_case(workload, {}, 0)
    print(json.dumps({"fit_s": row["fit_s"], "mase": row["model"]}))


def run(intra, inter, workload):
    done = subprocess.run([sys.executable, __file__, "--child", f"{intra},{inter}", workload], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--settings", nargs="+", default=["0,0", "1,1", "1,2"], help="intra,inter pairs")
    parser.add_argument("--case", default="msft_volume", help="the forecast_suite case whose default fit is timed")
    parser.add_argument("--skip-case", action="store_true", help="only the tutorial model")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.child:
        intra, inter = (int(part) for part in args.child.split(","))
        return child(intra, inter, rest[0])
    settings = [tuple(int(part) for part in text.split(",")) for text in args.settings]
    workloads = ["tutorial"] + ([] if args.skip_case else [args.case])
    print(f"# TensorFlow thread settings ({machine()}), {args.rounds} interleaved rounds")
    results = {(workload, setting): [] for workload in workloads for setting in settings}
    for round_ in range(args.rounds):
        for workload in workloads:
            for setting in settings:
                result = run(*setting, workload)
                results[(workload, setting)].append(result)
                print(f"  round {round_}, {workload}, intra/inter {setting}: {json.dumps(result)}", flush=True)
    print("\n| workload | intra, inter | median | rounds |\n|---|---|---|---|")
    for (workload, setting), rows in results.items():
        key = "samples_per_s" if workload == "tutorial" else "fit_s"
        values = [row[key] for row in rows]
        unit = "samples/s" if workload == "tutorial" else "fit s"
        print(f"| {workload} | {setting[0]}, {setting[1]} | {statistics.median(values):,.1f} {unit} | "
              f"{', '.join(f'{v:,.1f}' for v in values)} |")


if __name__ == "__main__":
    main()
