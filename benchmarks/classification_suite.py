"""The classification suite: SequenceClassifier() as it comes, on four public sets, next to 1-NN baselines.

Japanese vowels (shipped with the package; 9 speakers, 12 channels, 7-29 frames)
and three univariate sets of the UCR archive from `../shared/data/`: ArrowHead
(3 classes, 36 training cases of 251 steps), ItalyPowerDemand (2 classes, 67 of
24 steps) and OSULeaf (6 classes, 200 of 427 steps). Every set uses the
archive's own train/test split; nothing is tuned on a test split. For each:
the majority-class rate, 1-NN Euclidean and 1-NN DTW (full window, squared
frame cost) on the same cases, the archive's published 1-NN accuracies, and
`SequenceClassifier(seed=s, verbose=0).fit(X_train, y_train)` for 3 seeds:
accuracy per seed, log loss, fit seconds and epochs (none for the default,
MiniRocket, fitted in closed form). Beside them, aeon's
MiniRocketClassifier with the same seeds (`peers/minirocket.py`, run in aeon's
own venv, `--peer-python`; its column is left out, with a note, when that venv
is missing).

Usage: python benchmarks/classification_suite.py [--sets vowels arrowhead ...] [--seeds 0 1 2]
           [--model '{"architecture": "stacked", "units": [64], "bidirectional": true}'] [--data DIR]
           [--peer-python ../peers-venv/bin/python]
"""

import argparse
import json
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import dtw_1nn, machine

UCR = {"arrowhead": "ArrowHead", "italy_power_demand": "ItalyPowerDemand", "osuleaf": "OSULeaf"}
# 1-NN test accuracies the UCR archive publishes for its splits (Dau et al. 2019): Euclidean, DTW.
PEER_VENV = Path(__file__).resolve().parents[2] / "peers-venv" / "bin" / "python"
PUBLISHED = {"arrowhead": (0.800, 0.703), "italy_power_demand": (0.955, 0.950), "osuleaf": (0.521, 0.591)}
SETS = ("vowels", *UCR)


def load_set(name, data_dir):
    """`{"train": (sequences, labels), "test": ...}` of one set, in the archive's split."""
    from lstm_toolkit.data.sequences import as_sequences

    if name == "vowels":
        from lstm_toolkit.datasets import load

        frame, time_col, label = load("japanese_vowels"), "frame", "speaker"
    else:
        frame, time_col, label = pd.read_csv(Path(data_dir) / f"{name}.csv"), "t", "label"
    parts = {}
    for split in ("train", "test"):
        rows = frame[frame["split"] == split]
        sequences, ids, _ = as_sequences(rows, case_col="case", time_col=time_col, exclude=(label, "split"))
        parts[split] = (sequences, rows.groupby("case", sort=False)[label].first().loc[ids].to_numpy())
    return parts


def euclidean_1nn(train, train_y, test):
    """1-NN on the series zero-padded to one length and flattened."""
    from sklearn.neighbors import KNeighborsClassifier

    from lstm_toolkit.data.sequences import pad

    length = max(len(s) for s in train + test)
    flat = [pad(part, length=length)[0].reshape(len(part), -1) for part in (train, test)]
    return KNeighborsClassifier(1).fit(flat[0], train_y).predict(flat[1])


def minirocket(train, train_y, test, test_y, seeds, python):
    """aeon's MiniRocketClassifier per seed, in the peer venv: `[{"accuracy": .., "fit_s": ..}, ...]`."""
    length = max(len(s) for s in train + test)

    def channels_first(part):  # (cases, channels, steps), each case edge-padded to the longest
        return np.stack([np.pad(s, ((0, length - len(s)), (0, 0)), mode="edge").T for s in part]).astype("float64")

    with tempfile.TemporaryDirectory() as folder:
        split = Path(folder) / "split.npz"
        np.savez(split, x_train=channels_first(train), y_train=np.asarray(train_y).astype(str),
                 x_test=channels_first(test), y_test=np.asarray(test_y).astype(str))
        script = Path(__file__).resolve().parent / "peers" / "minirocket.py"
        return [json.loads(subprocess.run([str(python), str(script), str(split), "--seed", str(seed)], check=True,
                                          capture_output=True, text=True).stdout.strip().splitlines()[-1])
                for seed in seeds]


def run_set(name, data_dir, seeds, model, peer_python=None):
    from sklearn.metrics import log_loss

    from lstm_toolkit.sequences.classifier import SequenceClassifier

    parts = load_set(name, data_dir)
    (train, train_y), (test, test_y) = parts["train"], parts["test"]
    counts = pd.Series(train_y).value_counts()
    majority = float(np.mean(test_y == counts.index[0]))
    started = time.perf_counter()
    dtw = float(np.mean(dtw_1nn(train, train_y, test) == test_y))
    dtw_seconds = time.perf_counter() - started
    euclidean = float(np.mean(euclidean_1nn(train, train_y, test) == test_y))
    print(f"\n## {name}: {len(train)} train / {len(test)} test cases, {len(counts)} classes, "
          f"{min(map(len, train))}-{max(map(len, train))} steps, {train[0].shape[1]} channel(s)", flush=True)
    print(f"majority class {majority:.3f}; 1-NN Euclidean {euclidean:.3f}; 1-NN DTW {dtw:.3f} ({dtw_seconds:.0f} s)"
          + (f"; published 1-NN Euclidean {PUBLISHED[name][0]:.3f}, DTW {PUBLISHED[name][1]:.3f}" if name in PUBLISHED else ""))
    peer = None
    if peer_python is not None:
        peer = minirocket(train, train_y, test, test_y, seeds, peer_python)
        print(f"MiniRocket (aeon {peer[0]['aeon']}): " + " / ".join(f"{r['accuracy']:.3f}" for r in peer)
              + f", fit {np.median([r['fit_s'] for r in peer]):.1f} s (median; the first call also compiles numba's kernels)",
              flush=True)
    rows = []
    for seed in seeds:
        params = {"model": model} if model else {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            started = time.perf_counter()
            classifier = SequenceClassifier(seed=seed, verbose=0, **params).fit(train, train_y)
            seconds = time.perf_counter() - started
        probabilities = classifier.predict_proba(test)
        accuracy = float(np.mean(classifier.classes_[probabilities.argmax(1)] == test_y))
        clipped = np.clip(probabilities, 1e-7, 1.0)
        loss = log_loss(classifier.codec_.encode(test_y), clipped / clipped.sum(axis=1, keepdims=True),
                        labels=np.arange(len(classifier.classes_)))
        collapsed = any(w.category.__name__ == "CollapsedClassifierWarning" for w in caught)
        rows.append({"seed": seed, "accuracy": accuracy, "log loss": loss, "fit s": seconds,
                     "epochs": len(classifier.history_.get("loss", [])), "collapse warning": collapsed})
        trained = f"{rows[-1]['epochs']} epochs" if rows[-1]["epochs"] else "fitted in closed form (no epochs)"
        print(f"  seed {seed}: accuracy {accuracy:.3f}, log loss {loss:.3f}, fit {seconds:.1f} s, "
              f"{trained}{', COLLAPSE WARNING' if collapsed else ''}", flush=True)
    runs = pd.DataFrame(rows)
    summary = {
        "set": name, "majority": majority, "1-NN Euclidean": euclidean, "1-NN DTW": dtw,
        "toolkit mean": runs["accuracy"].mean(), "per seed": " / ".join(f"{a:.3f}" for a in runs["accuracy"]),
        "log loss": runs["log loss"].mean(), "fit s (max)": runs["fit s"].max(),
        "floor met": runs["accuracy"].mean() >= max(euclidean, dtw) and runs["accuracy"].min() > majority + 0.05,
    }
    if peer is not None:
        summary["MiniRocket mean"] = float(np.mean([r["accuracy"] for r in peer]))
        summary["MiniRocket fit s (median)"] = float(np.median([r["fit_s"] for r in peer]))
        summary[">= MiniRocket"] = summary["toolkit mean"] >= summary["MiniRocket mean"]
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--model", type=json.loads, default=None, help="a ModelConfig dict instead of the default")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"),
                        help="folder of the UCR CSV files (default: ../shared/data beside the repository)")
    parser.add_argument("--peer-python", default=str(PEER_VENV),
                        help="the Python of a venv with aeon, for the MiniRocket column (default: ../peers-venv)")
    args = parser.parse_args(argv)
    peer_python = args.peer_python if Path(args.peer_python).exists() else None
    if peer_python is None:
        print(f"(no MiniRocket column: {args.peer_python} is missing; see benchmarks/peers/minirocket.py)")
    print(f"# Classification suite ({machine()}); model: {args.model or 'SequenceClassifier() default'}")
    summary = pd.DataFrame([run_set(name, args.data, args.seeds, args.model, peer_python) for name in args.sets]).set_index("set")
    print("\n## Summary (test accuracy; floor: mean >= the better 1-NN, every seed > majority + 0.05)")
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
