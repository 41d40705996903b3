"""One worker of a multi-worker training (run by tests/test_distributed.py on every worker; only TF_CONFIG differs).

Trains a small global model on a synthetic panel under
`tf.distribute.MultiWorkerMirroredStrategy`, then writes this worker's
weights, history and whether it saved the bundle to `OUT/worker-{index}.npz`
/ `.json` / `.saved`; the chief saves the bundle to `OUT/bundle`.

Usage: python multi_worker_fit.py OUT BACKUP_DIR CHECKPOINT_DIR EPOCHS [SECONDS_PER_BATCH]
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

import lstm_toolkit
from lstm_toolkit.backend import keras
from lstm_toolkit.training import distributed


class Slow(keras.callbacks.Callback):
    """Makes each batch last a while, so that a test can kill a worker mid-epoch."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


def main(out, backup_dir, checkpoint_dir, epochs, seconds_per_batch=0.0):
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    panel = lstm_toolkit.datasets.synthetic_panel(6, 160, seed=0, short_fraction=0.0)
    forecaster = lstm_toolkit.Forecaster(
        lookback=24, horizon=6, target="value", series_id="series", time_col="timestamp",
        model=lstm_toolkit.ModelConfig(units=(8,)), epochs=epochs, batch_size=32, patience=epochs, seed=0,
        verbose=0, distribution=strategy, backup_dir=backup_dir, checkpoint_dir=checkpoint_dir,
        callbacks=[Slow(seconds_per_batch)] if seconds_per_batch else None,
    )
    forecaster.fit(panel)
    index = distributed.worker_index(strategy)
    out = Path(out)
    np.savez(out / f"worker-{index}.npz", *forecaster.model_.get_weights())
    (out / f"worker-{index}.json").write_text(json.dumps(forecaster.history_))
    saved = forecaster.save(out / "bundle")  # writes on the chief only
    (out / f"worker-{index}.saved").write_text(json.dumps(saved is not None))
    print(f"worker {index} done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), *(float(a) for a in sys.argv[5:]))
