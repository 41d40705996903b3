"""Choose the epochs on validation, then refit on everything: early stopping for series too short to spare a validation part.

Early stopping holds out the end of the training data, which on a short
series is the most recent and most telling part of it, and judges the
epochs on a handful of validation windows. `Forecaster(refit=...)` keeps the
early-stopped run only to choose the epoch count: it then trains a fresh
model (the same seed) on all the data given to `fit`, scalers and window
normalisation re-fit on all of it, for the epochs that were best on
validation, replaying the learning-rate schedule the first run took.

"auto" refits small trainings only (fewer than `REFIT_MAX_WINDOWS` training
windows), where the second run is cheap and the held-out rows are a large
share of what there is to learn from; a long series keeps its early-stopped
model and costs one training.
"""

from __future__ import annotations

from lstm_toolkit.errors import ConfigError, check_bool

# Trainings with fewer training windows than this refit when refit="auto".
REFIT_MAX_WINDOWS = 2000
# The first run's logs are kept in the final history under this prefix.
SELECTION_PREFIX = "selection_"


def wanted(refit, n_train_windows, n_validation_windows, stateful=False, multi_worker=False, separate_validation=False):
    """Whether a Forecaster with `refit` retrains on all its data after choosing the epochs on validation.

    Example:
    >>> wanted("auto", n_train_windows=800, n_validation_windows=20)
    True
    >>> wanted("auto", n_train_windows=50_000, n_validation_windows=5_000)
    False
    """
    refit = check_bool(refit, "refit", allowed=("auto",))  # numpy's bool as a Python bool, for `is`
    if refit is False:
        return False
    if refit is True and (stateful or multi_worker):
        raise ConfigError(
            "refit=True retrains a window model on one machine; a stateful model or a multi-worker training "
            "keeps its early-stopped model. Use refit='auto' or False."
        )
    if refit is True and separate_validation:
        raise ConfigError(
            "refit=True retrains on the data given to `fit`, and this validation came as separate data. Give it as "
            "the end of `data` with `validation=` its row count (or first timestamp), or use refit=False."
        )
    if refit is True and n_validation_windows == 0:
        raise ConfigError(
            "refit=True chooses the epoch count on the validation part, and this fit has no validation window. "
            "Give `validation=` (a fraction, row count or timestamp of the training data), or refit=False."
        )
    if stateful or multi_worker or separate_validation or n_validation_windows == 0:
        return False
    return refit is True or n_train_windows < REFIT_MAX_WINDOWS


def best_epochs(history):
    """How many epochs the early-stopped run `history` (a dict of per-epoch logs) needed to reach its best val_loss.

    Example:
    >>> best_epochs({"loss": [3, 2, 1, 1], "val_loss": [2.0, 1.0, 1.5, 1.2]})
    2
    """
    losses = history["val_loss"]
    return min(range(len(losses)), key=lambda epoch: losses[epoch]) + 1


def learning_rates(history, epochs):
    """The learning rate the first run used at each of its first `epochs` epochs (its plateau reductions)."""
    rates = history.get("learning_rate")
    return None if rates is None else [float(rate) for rate in rates[:epochs]]


def combined(selection, final):
    """The final run's logs, with the selection run's kept as `selection_loss`, `selection_val_loss`, ..."""
    return {**{key: list(values) for key, values in final.items()},
            **{SELECTION_PREFIX + key: list(values) for key, values in selection.items()}}
