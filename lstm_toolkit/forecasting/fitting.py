"""How a window forecaster trains: its members' form for an ensemble, one machine or many, and the refit on all the data.

`fit_window_model` is the training half of `Forecaster.fit` for window
models (a stateful model trains through its strategy, `tbptt`). It uses the
estimator's public seams only (`prepare`, `build_network`,
`compile_network`, `future_channels`) and its constructor parameters.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os

import numpy as np
import pandas as pd

from lstm_toolkit import distributed
from lstm_toolkit.backend import keras
from lstm_toolkit.forecasting import refit
from lstm_toolkit.models.ensemble import member_targets, members_model
from lstm_toolkit.training import fit, replay_callbacks


def fit_window_model(estimator, data, validation, series, config):
    """Trains a window model on the prepared `series`; then, when `estimator.refit` says so, refits on all of `data`.

    Args:
        estimator: the Forecaster, already `prepare`d on `data`.
        data, validation: what `fit` was given.
        series: the prepared training data (`estimator.prepare(data, validation)`).
        config: the `TrainingConfig`.

    Returns:
        `(model, logs)`: the trained model and its per-epoch logs (after a
        refit, the first run's logs follow as `selection_...`).
    """
    refits = refit.wanted(estimator.refit, series.n_windows("train"), series.n_windows("validation"),
                          multi_worker=distributed.is_multi_worker(estimator.distribution),
                          separate_validation=isinstance(validation, (pd.DataFrame, pd.Series, np.ndarray, dict)))
    backup_dir = estimator.backup_dir
    model, history = train(estimator, series, config,
                           backup_dir=os.path.join(backup_dir, "selection") if backup_dir and refits else backup_dir)
    if not refits:
        return model, history
    epochs = refit.best_epochs(history)  # the epochs are chosen; now train on everything given to `fit`
    rates = refit.learning_rates(history, epochs) or [config.learning_rate]
    series = estimator.prepare(data, validation=0)
    if estimator.seed is not None:
        keras.utils.set_random_seed(estimator.seed)
    model, final = train(estimator, series, dataclasses.replace(config, epochs=epochs),
                         replay=replay_callbacks(rates, estimator.checkpoint_dir), backup_dir=backup_dir)
    return model, refit.combined(history, final)


def train(estimator, series, config, replay=None, backup_dir=None):
    """Builds, compiles and trains one window model on the prepared `series`; returns `(model, logs)`.

    An ensemble (`ensemble=k`) trains its members' form, each member on its
    own loss; `replay` (a refit's callbacks) replaces early stopping.
    """
    strategy = estimator.distribution
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = estimator.build_network()
        trainable = estimator.compile_network(members_model(model), config)
    k, future = len(trainable.outputs), estimator.future_channels()  # one output per ensemble member

    def make_dataset(part, batch_size, shard=None):
        shuffle = {"seed": estimator.seed} if part == "train" else {}
        return member_targets(series.dataset(part, batch_size=batch_size, future_channels=future, shard=shard, **shuffle), k)

    if distributed.is_multi_worker(strategy):
        has_validation = series.n_windows("validation") >= strategy.num_replicas_in_sync
        history = distributed.fit_across_workers(trainable, strategy, make_dataset, config, estimator.callbacks,
                                                 estimator.checkpoint_dir, backup_dir, has_validation)
        return model, history.history
    validation_data = make_dataset("validation", config.batch_size) if series.n_windows("validation") else None
    history = fit(trainable, make_dataset("train", config.batch_size), None if replay else validation_data,
                  config=config, callbacks=(replay or []) + list(estimator.callbacks or []),
                  replace_callbacks=replay is not None, checkpoint_dir=estimator.checkpoint_dir, backup_dir=backup_dir)
    return model, history.history
