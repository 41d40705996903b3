"""aeon's MiniRocketClassifier on one train/test split: a peer of `classification_suite.py`, run in aeon's own venv.

aeon pins numpy and pandas below the toolkit's, so it is never imported beside the toolkit: the suite writes the
split to an `.npz` (`x_train`, `y_train`, `x_test`, each case `(channels, steps)`, sequences of unequal length
edge-padded to the longest) and runs this file with the peer venv's Python, which prints one JSON line.

Set up once: python3.11 -m venv ../peers-venv && ../peers-venv/bin/pip install aeon
Run: ../peers-venv/bin/python benchmarks/peers/minirocket.py SPLIT.npz --seed 0
"""

import argparse
import json
import time

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import aeon
    from aeon.classification.convolution_based import MiniRocketClassifier

    split = np.load(args.split, allow_pickle=False)
    started = time.perf_counter()
    classifier = MiniRocketClassifier(random_state=args.seed, n_jobs=1).fit(split["x_train"], split["y_train"])
    seconds = time.perf_counter() - started
    accuracy = float(np.mean(classifier.predict(split["x_test"]) == split["y_test"]))
    print(json.dumps({"accuracy": accuracy, "fit_s": seconds, "aeon": aeon.__version__}))


if __name__ == "__main__":
    main()
