"""Training across machines with TensorFlow's multi-worker engine, and backups that survive a lost worker.

`Forecaster(distribution=tf.distribute.MultiWorkerMirroredStrategy())` trains
one model on several workers: the same script runs on every machine, and only
the `TF_CONFIG` environment variable differs (TensorFlow's own convention).
TensorFlow does the rest: the collective all-reduce of gradients, the weights
mirrored on every worker, the cluster's start-up and health checks.

What this module adds is what Keras 3's `Model.fit` does not do under that
strategy yet (it fails on its first batch: keras-team/keras#20585):

- `fit_across_workers`: the epoch loop, as `Model.fit` would run it. Each
  step is the model's own `train_step` run on every worker by
  `strategy.run`; the Keras callbacks (early stopping, learning-rate
  schedule, checkpoints, NaN guard, progress) see the same logs on every
  worker, so every worker takes the same decisions. Each worker reads only
  its own shard of the windows (`tf.distribute.InputContext`).
- Only the chief writes files: checkpoints, backups and the final bundle
  (`is_chief`); the other workers write theirs to a scratch folder that is
  removed at the end, as TensorFlow's multi-worker guide recommends.
- `WorkerBackup`: `keras.callbacks.BackupAndRestore` for several workers.
  The chief backs up the weights and optimizer state at the end of each
  epoch (atomically: a worker killed mid-write leaves the previous backup);
  when the job is started again after a worker was lost, every worker
  restores the chief's backup and training resumes at the next epoch
  instead of epoch 0.

On one machine `Forecaster(backup_dir=...)` uses Keras' `BackupAndRestore`
itself with `Model.fit`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from lstm_toolkit import atomic
from lstm_toolkit.backend import keras, tf
from lstm_toolkit.errors import ConfigError

BACKUP_WEIGHTS = "backup.weights.h5"
BACKUP_STATE = "backup.json"


def check_strategy(strategy):
    """`strategy` when it is None or a `tf.distribute.Strategy`; else a ConfigError, before anything is built.

    >>> check_strategy("mirrored")
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.ConfigError: `distribution` must be a tf.distribute.Strategy, e.g. tf.distribute.MultiWorkerMirroredStrategy(), or None. Received: distribution='mirrored'
    """
    if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
        raise ConfigError("`distribution` must be a tf.distribute.Strategy, e.g. "
                          f"tf.distribute.MultiWorkerMirroredStrategy(), or None. Received: distribution={strategy!r}")
    return strategy


def is_multi_worker(strategy):
    """True when `strategy` is a `tf.distribute.MultiWorkerMirroredStrategy` (trained by `fit_across_workers`)."""
    if strategy is None:
        return False
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief(strategy):
    """True on the worker that writes files (checkpoints, backups, the bundle): the only one without a strategy."""
    return strategy is None or bool(strategy.extended.should_checkpoint)


def worker_index(strategy):
    """This worker's task index in the cluster (0 without a multi-worker strategy)."""
    if not is_multi_worker(strategy):
        return 0
    return int(strategy.cluster_resolver.task_id or 0)


class WorkerBackup(keras.callbacks.Callback):
    """Backs up the training state each epoch on the chief; restores it on every worker when training starts again.

    Like `keras.callbacks.BackupAndRestore` (and with Keras' weights file
    format), for a training that runs on several workers: every worker
    restores from `backup_dir`, only the chief writes to it, and the resumed
    epoch is `initial_epoch` (read by `fit_across_workers`).

    Args:
        backup_dir: folder of the backup; on a cluster, a shared file system
            or bucket every worker reads. It must be used by this training only.
        write: whether this worker writes the backup (the chief).
        delete_at_end: remove the backup when training completes.
    """

    def __init__(self, backup_dir, write=True, delete_at_end=True):
        super().__init__()
        if not backup_dir:
            raise ConfigError("`backup_dir` must be a folder path.")
        self.backup_dir = Path(backup_dir)
        self.write = write
        self.delete_at_end = delete_at_end
        self.initial_epoch = 0

    @property
    def weights_path(self):
        return self.backup_dir / BACKUP_WEIGHTS

    @property
    def state_path(self):
        return self.backup_dir / BACKUP_STATE

    def on_train_begin(self, logs=None):
        self.initial_epoch = 0
        if not self.state_path.exists():
            return
        try:
            state = json.loads(self.state_path.read_text())
            if not self.model.optimizer.built:
                self.model.optimizer.build(self.model.trainable_variables)
            self.model.load_weights(self.weights_path)
            self.initial_epoch = int(state["epoch"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ConfigError(
                f"The backup in {self.backup_dir} cannot be restored into this model ({type(error).__name__}: {error}). "
                "It was written by another training (or is damaged): use that training's settings, or remove the "
                "folder to start again from epoch 0."
            ) from None

    def on_epoch_end(self, epoch, logs=None):
        # Every worker saves (reading the weights may need every worker under some strategies);
        # only the chief's copy is kept, by an atomic rename over the previous backup.
        with tempfile.TemporaryDirectory(prefix="lstm_toolkit-backup-") as scratch:
            staged = Path(scratch) / BACKUP_WEIGHTS
            self.model.save_weights(staged)
            if self.write:
                self.backup_dir.mkdir(parents=True, exist_ok=True)
                atomic.write_bytes(self.weights_path, staged.read_bytes())
                atomic.write_text(self.state_path, json.dumps({"epoch": epoch + 1}))

    def on_train_end(self, logs=None):
        if self.write and self.delete_at_end:
            shutil.rmtree(self.backup_dir, ignore_errors=True)


def fit_across_workers(model, strategy, make_dataset, config, callbacks=None, checkpoint_dir=None, backup_dir=None,
                       validation=True):
    """Trains a compiled `model` (built under `strategy.scope()`) on every worker of `strategy`.

    Args:
        model: the compiled Keras model.
        strategy: a `tf.distribute.MultiWorkerMirroredStrategy`.
        make_dataset: `(part, batch_size, shard)` -> the `tf.data.Dataset` of
            one worker's shard `(index, count)` of `part` ("train" or
            "validation"), in batches of `batch_size` windows.
        config: the `TrainingConfig` (`batch_size` is the global batch, split
            over the workers).
        callbacks: extra Keras callbacks, after the defaults.
        checkpoint_dir: the chief's folder for the best-model checkpoint.
        backup_dir: the folder of the `WorkerBackup`; None trains without backups.
        validation: whether there is a validation part (early stopping then monitors it).

    Returns:
        The `keras.callbacks.History` of the run (of the resumed epochs only,
        after a restart from a backup).
    """
    from lstm_toolkit.training import default_callbacks

    chief = is_chief(strategy)
    scratch = None if chief else tempfile.mkdtemp(prefix="lstm_toolkit-worker-")
    if not chief and checkpoint_dir is not None:
        checkpoint_dir = os.path.join(scratch, "checkpoints")
    chosen = default_callbacks(config, checkpoint_dir, monitor="val_loss" if validation else "loss")
    backup = None if backup_dir is None else WorkerBackup(backup_dir, write=chief)
    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList(
        ([backup] if backup else []) + chosen + list(callbacks or []) + [history],
        add_progbar=config.verbose != 0,
        model=model,
        verbose=1 if config.verbose == "auto" else config.verbose,
        epochs=config.epochs,
    )
    replicas = strategy.num_replicas_in_sync
    per_replica = max(1, config.batch_size // replicas)

    def distributed(part):
        def dataset_fn(context):
            return make_dataset(part, per_replica, (context.input_pipeline_id, context.num_input_pipelines))

        return strategy.distribute_datasets_from_function(dataset_fn)

    def run(step):
        @tf.function
        def on_every_worker(batch):
            logs = strategy.run(step, args=(batch,))
            return {name: strategy.reduce("MEAN", value, axis=None) for name, value in logs.items()}

        return on_every_worker

    train_step, test_step = run(model.train_step), run(model.test_step)
    train_data = distributed("train")
    validation_data = distributed("validation") if validation else None
    try:
        with strategy.scope():  # as in `Model.fit`: restoring a backup builds the optimizer's mirrored variables
            _epochs(model, callback_list, train_step, test_step, train_data, validation_data, backup, config.epochs)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return history


def _epochs(model, callback_list, train_step, test_step, train_data, validation_data, backup, epochs):
    """The epoch loop of `Model.fit`, on distributed datasets, calling the Keras callbacks with Python-float logs."""
    model.stop_training = False
    callback_list.on_train_begin()  # restores the backup, if any
    epoch_logs = {}
    for epoch in range(backup.initial_epoch if backup else 0, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        logs = {}
        for step, batch in enumerate(train_data):
            callback_list.on_train_batch_begin(step)
            logs = {name: float(value) for name, value in train_step(batch).items()}
            callback_list.on_train_batch_end(step, logs)
        epoch_logs = dict(logs)
        if validation_data is not None:
            model.reset_metrics()
            for batch in validation_data:
                logs = test_step(batch)
            epoch_logs.update({f"val_{name}": float(value) for name, value in logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end(epoch_logs)
