"""Lazy windows: peak memory and throughput of the toolkit vs keras.utils.timeseries_dataset_from_array.

Floors (issue 2), on 2 cores:
- building and iterating once over all windows of a 1,000,000-step univariate float32
  series, lookback 512, batches of 256: peak memory < 300 MB above importing the library
  (materialised windows would need about 2 GB);
- one pass over all 1,000,000 windows with lookback 60 in batches of 256: >= 400,000
  windows per second.
Each case runs in a fresh subprocess so that peak-RSS readings do not mix.

Run: python benchmarks/windows.py
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

N_STEPS = 1_000_000
BATCH = 256


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_case(library, lookback, max_windows, shuffle=False):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    import lstm_toolkit.data as data  # noqa: F401  (imports TensorFlow and Keras)

    series = np.random.default_rng(0).normal(size=(N_STEPS, 1)).astype("float32")
    baseline = peak_mb()
    n_windows = N_STEPS - lookback  # windows with a one-step target
    start = time.perf_counter()
    if library == "lstm_toolkit":
        starts = data.window_starts(lookback, 1, 0, N_STEPS)[:max_windows]
        dataset = data.make_window_dataset(series, series, starts, lookback, 1, batch_size=BATCH, shuffle=shuffle, seed=0)
    else:
        count = min(n_windows, max_windows)
        dataset = keras.utils.timeseries_dataset_from_array(
            series[: count + lookback - 1], series[lookback:], sequence_length=lookback, batch_size=BATCH
        )
    seen = 0
    for x, y in dataset:
        seen += int(x.shape[0])
    seconds = time.perf_counter() - start
    return {"library": library, "lookback": lookback, "windows": seen, "seconds": seconds,
            "windows_per_second": seen / seconds, "peak_mb_above_import": peak_mb() - baseline}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", nargs=4, metavar=("LIBRARY", "LOOKBACK", "MAX_WINDOWS", "SHUFFLE"), help=argparse.SUPPRESS)
    parser.add_argument("--keras-windows", type=int, default=100_000,
                        help="windows timed for keras (it runs at ~12k/s; default 100,000)")
    args = parser.parse_args(argv)
    if args.case:
        library, lookback, max_windows, shuffle = args.case
        print(json.dumps(run_case(library, int(lookback), int(max_windows), shuffle == "shuffled")))
        return 0
    cases = [
        ("memory", "lstm_toolkit", 512, N_STEPS, "ordered"),
        ("memory", "keras", 512, args.keras_windows, "ordered"),
        ("speed", "lstm_toolkit", 60, N_STEPS, "ordered"),
        ("speed", "lstm_toolkit", 60, N_STEPS, "shuffled"),
        ("speed", "keras", 60, args.keras_windows, "ordered"),
    ]
    print(f"# Lazy windows on a {N_STEPS:,}-step float32 series, batches of {BATCH} ({os.cpu_count()} cores)\n")
    print("| measure | library | order | lookback | windows | seconds | windows/s | peak MB above import |")
    print("|---|---|---|---|---|---|---|---|")
    for measure, library, lookback, max_windows, order in cases:
        output = subprocess.run(
            [sys.executable, __file__, "--case", library, str(lookback), str(max_windows), order],
            capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]
        r = json.loads(output)
        print(f"| {measure} | {library} | {order} | {lookback} | {r['windows']:,} | {r['seconds']:.1f} | "
              f"{r['windows_per_second']:,.0f} | {r['peak_mb_above_import']:.0f} |", flush=True)
    materialised = (N_STEPS - 512) * 512 * 4 / 1e9
    print(f"\nMaterialising all lookback-512 windows would take {materialised:.2f} GB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
