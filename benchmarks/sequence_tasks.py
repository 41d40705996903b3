"""Beyond forecasting: the three sequence estimators next to their baselines, on the shipped data.

1. SequenceClassifier on Japanese vowels (the archive's own train/test split),
   3 seeds, against 1-NN (Euclidean on zero-padded series, and multivariate
   DTW) and the tutorial's Masking -> LSTM(64) -> Dense(9).
2. SequenceLabeller on speaker turns built from the same utterances (train
   streams from the train utterances, test streams from the test ones),
   against per-frame logistic regression, alone and with a sliding majority vote.
3. AnomalyDetector (forecast and autoencoder methods) on the ECG and Yahoo
   series, fit on each whole series (unsupervised), against a rolling z-score
   of the first differences and IsolationForest on sliding windows.

Usage: python benchmarks/sequence_tasks.py [--part classify|label|detect|all] [--seeds 3]
"""

import argparse
import time

import numpy as np
import pandas as pd
from _common import Timer, dtw_1nn, machine


def vowels():
    from lstm_toolkit.data.sequences import as_sequences
    from lstm_toolkit.datasets import load

    frame = load("japanese_vowels")
    parts = {}
    for split in ("train", "test"):
        rows = frame[frame["split"] == split]
        sequences, ids, _ = as_sequences(rows, case_col="case", time_col="frame", exclude=("speaker",))
        labels = rows.groupby("case", sort=False)["speaker"].first().loc[ids].to_numpy()
        parts[split] = (sequences, labels)
    return parts


def classify(seeds):
    import keras
    from sklearn.neighbors import KNeighborsClassifier

    from lstm_toolkit.sequences.classifier import SequenceClassifier
    from lstm_toolkit.data.sequences import fit_scaler, pad

    parts = vowels()
    (train, train_y), (test, test_y) = parts["train"], parts["test"]
    rows = []
    length = max(len(s) for s in train + test)
    flat_train = pad(train, length=length)[0].reshape(len(train), -1)
    flat_test = pad(test, length=length)[0].reshape(len(test), -1)
    knn = KNeighborsClassifier(1).fit(flat_train, train_y)
    rows.append(("1-NN Euclidean, zero-padded", np.mean(knn.predict(flat_test) == test_y), "", ""))
    with Timer() as timer:
        dtw = dtw_1nn(train, train_y, test)
    rows.append(("1-NN multivariate DTW", np.mean(dtw == test_y), "", f"{timer.seconds:.0f}"))

    tutorial, default, seconds = [], [], []
    for seed in range(seeds):
        keras.utils.set_random_seed(seed)
        scaler = fit_scaler(train, "none", tuple(f"c{k}" for k in range(12)))
        x_train, x_test = pad(train, scaler)[0], pad(test, scaler)[0]
        model = keras.Sequential([keras.Input((None, 12)), keras.layers.Masking(0.0), keras.layers.LSTM(64),
                                  keras.layers.Dense(9, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x_train, train_y - 1, epochs=50, batch_size=32, verbose=0)
        tutorial.append(np.mean(model.predict(x_test, verbose=0).argmax(1) + 1 == test_y))
        with Timer() as timer:
            clf = SequenceClassifier(seed=seed, verbose=0).fit(train, train_y)
        seconds.append(timer.seconds)
        default.append(clf.score(test, test_y))
        print(f"  seed {seed}: SequenceClassifier {default[-1]:.4f} ({timer.seconds:.0f} s, "
              f"{len(clf.history_['loss'])} epochs); tutorial model {tutorial[-1]:.4f}", flush=True)
    rows.append(("tutorial Masking -> LSTM(64) -> Dense(9), 50 epochs, raw inputs", np.mean(tutorial),
                 " / ".join(f"{a:.3f}" for a in tutorial), ""))
    rows.append(("SequenceClassifier() defaults (BiLSTM 64, standardised, early stopping)", np.mean(default),
                 " / ".join(f"{a:.3f}" for a in default), f"{np.mean(seconds):.0f}"))
    table = pd.DataFrame(rows, columns=["model", "test accuracy", "per seed", "train s"]).set_index("model")
    print("\nJapanese vowels, speaker of each utterance (270 train / 370 test):")
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))


def label(seeds):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from lstm_toolkit.datasets import speaker_turns
    from lstm_toolkit.sequences.labeller import SequenceLabeller, segment_scores

    X_train, Y_train = speaker_turns("train", repeats=4, seed=0)
    X_test, Y_test = speaker_turns("test", seed=1)
    print(f"\nSpeaker turns: {len(X_train)} train streams (each train utterance used 4 times), "
          f"{len(X_test)} test streams of {sum(map(len, X_test))} frames")

    def scores(predicted):
        accuracy = np.mean(np.concatenate(predicted) == np.concatenate(Y_test))
        segment = segment_scores(Y_test, predicted)
        return accuracy, segment["precision"], segment["recall"], segment["f1"]

    scaler = StandardScaler().fit(np.concatenate(X_train))
    logistic = LogisticRegression(max_iter=2000).fit(scaler.transform(np.concatenate(X_train)), np.concatenate(Y_train))
    per_frame = [logistic.predict(scaler.transform(x)) for x in X_test]
    rows = [("logistic regression per frame", *scores(per_frame), "")]
    for width in (5, 9):
        voted = []
        for x in X_test:
            picks = np.eye(len(logistic.classes_))[logistic.predict_proba(scaler.transform(x)).argmax(1)]
            votes = pd.DataFrame(picks).rolling(width, center=True, min_periods=1).sum().to_numpy()
            voted.append(logistic.classes_[votes.argmax(1)])
        rows.append((f"  + majority vote over {width} frames", *scores(voted), ""))
    for seed in range(seeds):
        with Timer() as timer:
            labeller = SequenceLabeller(seed=seed, verbose=0).fit(X_train, Y_train)
        rows.append((f"SequenceLabeller() defaults (2x BiLSTM 64), seed {seed}", *scores(labeller.predict(X_test)),
                     f"{timer.seconds:.0f}"))
        print(f"  seed {seed}: {rows[-1]}", flush=True)
    table = pd.DataFrame(rows, columns=["model", "frame accuracy", "segment precision", "segment recall",
                                        "segment F1", "train s"]).set_index("model")
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))


def detect(seeds):
    from lstm_toolkit.sequences.anomaly import AnomalyDetector
    from lstm_toolkit.datasets import load

    rows = []
    for name in ("ecg_mitdb_labeled", "yahoo_anomaly_labeled"):
        data = load(name)
        for method in ("forecast", "autoencoder"):
            with Timer() as timer:
                detector = AnomalyDetector(method=method, seed=0, verbose=0).fit(data[["data"]])
            table = detector.evaluate(data[["data"]], data["label"])
            if method == "forecast":
                for baseline in ("rolling_zscore", "isolation_forest"):
                    rows.append((name, baseline, *table.loc[baseline, ["roc_auc", "pr_auc", "best_f1"]], ""))
            rows.append((name, f"AnomalyDetector(method={method!r}), smooth={detector.smooth_}",
                         *table.loc["detector", ["roc_auc", "pr_auc", "best_f1"]], f"{timer.seconds:.0f}"))
            if method == "forecast":
                raw = AnomalyDetector(method=method, smooth=1, seed=0, verbose=0).fit(data[["data"]])
                table = raw.evaluate(data[["data"]], data["label"])
                rows.append((name, f"AnomalyDetector(method={method!r}), smooth=1 (raw)",
                             *table.loc["detector", ["roc_auc", "pr_auc", "best_f1"]], ""))
            print(f"  {rows[-1]}", flush=True)
    table = pd.DataFrame(rows, columns=["series", "method", "ROC-AUC", "PR-AUC", "best F1", "fit s"])
    print("\nAnomaly detection, point level, each detector fit on the whole series (unsupervised):")
    print(table.set_index(["series", "method"]).to_string(float_format=lambda v: f"{v:.3f}"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["classify", "label", "detect", "all"], default="all")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    started = time.perf_counter()
    for part in ("classify", "label", "detect"):
        if args.part in (part, "all"):
            globals()[part](args.seeds)
    print(f"\nTotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
