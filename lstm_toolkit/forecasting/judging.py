"""Whether a trained network keeps its place: the one-standard-error rule against the reference it corrects.

A window model with a reference normalisation forecasts a simple forecast
(naive, drift, seasonal naive, ...) plus a learned correction. `judge` keeps
the network only when its validation loss beats that reference's by more than
one standard error of the difference (`validation_margin`, which counts the
overlap of neighbouring windows); `paired_losses` gives it both losses per
window, and `fallback_message` tells the user when the reference won.

An ensemble is judged on the forecast it makes (its members' median, or
mean), against the forecast it would make with every member's correction
zeroed: the fallback puts the one in the other's place. Its members' summed
losses, which Keras trains on and early stopping reads, are not that forecast's.
"""

from __future__ import annotations

import math

import numpy as np

from lstm_toolkit.backend import in_inference_mode, keras
from lstm_toolkit.models import REFERENCE_FORECASTS, forecast_reference_only
from lstm_toolkit.training import distributed


def judge(model, network, reference, starts, horizon):
    """Keeps the reference forecast alone unless the trained network beats it on the validation windows, clearly.

    A window model with a reference normalisation forecasts the reference
    (naive, naive + drift, seasonal naive, ...) plus a learned correction. On
    short series whose training years behave unlike the later ones, training
    can make that correction hurt; then the output layer and the highway are
    zeroed (`models.forecast_reference_only`) and the model forecasts the reference exactly.

    The rule is the one-standard-error rule (Hastie, Tibshirani and Friedman,
    "The Elements of Statistical Learning", 7.10): the network, the more complex
    model, is kept only when its loss is lower than the reference's by more than
    one standard error of the difference (`validation_margin`, which counts the
    overlap of neighbouring windows). Too few windows to estimate that error, or
    a network that diverged (non-finite losses), never keep the network.

    Args:
        model: the trained model; zeroed (`forecast_reference_only`) when the reference wins.
        network, reference: `(windows, horizon)` losses of the network and of its reference alone.
        starts, horizon: the windows' start rows and the horizon (`validation_margin`).

    Returns:
        None, or `{"reference_val_loss", "network_val_loss", "standard_error"}` (the standard error None where
        it could not be estimated).
    """
    difference, standard_error = validation_margin(network, reference, starts, horizon)
    if difference < -standard_error:  # False for NaN and for an infinite error: the network gives way
        return None
    forecast_reference_only(model)
    return {"reference_val_loss": float(reference.mean()), "network_val_loss": float(network.mean()),
            "standard_error": None if standard_error == math.inf else standard_error}


def paired_losses(model, trainable, data, reference=None):
    """`(network, reference)` window losses (`window_losses`) of the trained `model` and of its reference alone on `data`.

    The model's weights are left as trained. None when the model has no
    reference to forecast alone (`forecast_reference_only` is False).
    `reference`: the reference's losses, where `reference_losses` measured them already.
    An ensemble (`trainable`, its members' form, is not `model`): the losses of its forecast and of its
    reference's, on `data`'s first target (`data` repeats it once per member); `reference` is then its members'
    (early stopping's baseline), not its forecast's, and is measured again.
    """
    if trainable is not model:
        loss = keras.tree.flatten(trainable.loss)[0]
        data = data.map(_first_target)
        return _pair(window_losses(model, data, loss), reference_losses(model, model, data, loss))
    network = window_losses(trainable, data)
    return _pair(network, reference_losses(model, trainable, data) if reference is None else reference)


def _pair(network, reference):
    return None if reference is None else (network, reference)


def _first_target(x, y, *weights):
    """A members' form's `(x, y, ...)` batch as the ensemble's own: `x` and the first of the repeated targets."""
    return x, y[0]


def reference_losses(model, trainable, data, loss=None):
    """The window losses (`window_losses`) of `model`'s reference alone on `data`; None when it has none.

    The reference is made from the window by the normalisation layer (output
    layer and highway zeroed), so training does not change them: measured
    before training, they serve as early stopping's baseline and the judge's
    evidence. The model's weights are left as they were. `loss`: as for `window_losses`.
    """
    weights = model.get_weights()
    if not forecast_reference_only(model):
        return None
    reference = window_losses(trainable, data, loss)
    model.set_weights(weights)
    return reference


def window_losses(trainable, data, loss=None):
    """`(windows, horizon)`: the compiled loss of `trainable` (or `loss`) on each window and forecast step of `data`.

    Summed over the model's outputs (an ensemble's members), as Keras sums
    them; the mean over all of it is Keras' `evaluate` loss.
    """
    loss = keras.losses.get(loss or trainable.loss)
    batches = [(keras.tree.flatten(outputs), keras.tree.flatten(y))
               for outputs, (_, y) in in_inference_mode(trainable, data)]
    predictions = [np.concatenate(part) for part in zip(*(outputs for outputs, _ in batches))]
    targets = [np.concatenate(part) for part in zip(*(y for _, y in batches))]
    per_step = [np.reshape(keras.ops.convert_to_numpy(loss(target, prediction)), (len(prediction), -1))
                for target, prediction in zip(targets, predictions)]
    return np.sum(per_step, axis=0).astype("float64")


def validation_losses(training, model, problem, series):
    """`(windows, horizon)`: the compiled loss of the point forecaster `model` on each window of `series`' validation
    part (an ensemble: of its forecast, the members' median, as `paired_losses` judges it); None without a
    validation part, for a probabilistic model, or across workers (each holds a shard of the windows).

    Args:
        training: the fit's `fitting.WindowTraining` (`fitting` imports this module, so the type is not imported
            here): its `likelihood` (`.probabilistic`), `distribution` and `config` (`.batch_size`, `.loss`) are read.
        model, problem, series: the trained model, its prepared problem and the windowed series.
    """
    if (not series.n_windows("validation") or training.likelihood.probabilistic
            or distributed.is_multi_worker(training.distribution)):
        return None
    data = series.dataset("validation", batch_size=training.config.batch_size, future_channels=problem.future_channels())
    return window_losses(model, data, training.config.loss)


def validation_margin(network, reference, starts, horizon):
    """`(mean difference, its standard error)` of the losses `network - reference`, both `(windows, horizon)`.

    The samples are the windows' mean losses; `starts` are the windows' start
    rows. Neighbouring windows forecast some of the same rows, so their errors
    are correlated: each pair of windows is weighted by the share of forecast
    rows they have in common (`1 - |start gap| / horizon`, none for windows of
    different series, whose rows never meet). For windows one row apart this is
    the Newey-West (Bartlett) variance with `horizon - 1` lags, the variance of
    the Diebold-Mariano test for `horizon`-step forecasts; for windows that do
    not overlap, the usual `std(ddof=1) / sqrt(n)`. With fewer than two windows
    whose forecast rows are disjoint (a validation part shorter than two
    horizons), there is nothing to estimate the error from: it is infinite,
    and the rule keeps the reference.

    >>> validation_margin(np.array([[1.0, 1.0], [3.0, 3.0]]), np.zeros((2, 2)), starts=[0, 2], horizon=2)
    (2.0, 1.0)
    >>> validation_margin(np.array([[1.0, 1.0], [3.0, 3.0]]), np.zeros((2, 2)), starts=[0, 1], horizon=2)
    (2.0, inf)
    """
    samples = (network - reference).mean(axis=1)
    order = np.argsort(np.asarray(starts), kind="stable")
    samples, starts = samples[order], np.asarray(starts, dtype="float64")[order]
    mean = float(samples.mean())
    if disjoint_windows(starts, horizon) < 2:
        return mean, math.inf
    centred = samples - mean
    total = float(centred @ centred)
    for lag in range(1, len(samples)):
        shared = np.clip(1.0 - (starts[lag:] - starts[:-lag]) / horizon, 0.0, None)
        if not shared.any():  # the starts grow with the lag: no later pair overlaps either
            break
        total += 2.0 * float(np.sum(shared * centred[lag:] * centred[:-lag]))
    n = len(samples)
    return mean, math.sqrt(max(total, 0.0) / (n * (n - 1)))


def disjoint_windows(starts, horizon):
    """How many of the windows starting at the sorted rows `starts` forecast rows no other of them does (greedily).

    >>> disjoint_windows([0, 1, 5, 12, 13], horizon=6)
    2
    """
    count, free_from = 0, -math.inf
    for start in starts:
        if start >= free_from:
            count, free_from = count + 1, start + horizon
    return count


def fallback_message(record, window_norm):
    """The warning for a fit whose reference forecast replaced the network.

    `record` is `judge`'s record with the `window_norm` the network was
    compared with; `window_norm` is the reference the model forecasts with (chosen
    again on all the data where a refit was due).
    """
    again = "" if window_norm == record["window_norm"] else (
        f" Chosen again on all the data, that reference is now {REFERENCE_FORECASTS[window_norm]} (window_norm={window_norm!r}).")
    origins = record.get("origins")
    where = "On the validation part" + (
        f" and at {origins} earlier forecast origin{'s' if origins > 1 else ''} (a network trained on the rows before "
        "each)" if origins else "")
    return (
        f"{where} the trained network did not beat the forecast it corrects, "
        f"{REFERENCE_FORECASTS[record['window_norm']]} (window_norm={record['window_norm']!r}), by more than one "
        f"standard error: validation loss {record['network_val_loss']:.4g} against {record['reference_val_loss']:.4g} "
        f"({_error_text(record)}). The Forecaster forecasts "
        f"that reference alone (`reference_fallback_`).{again} With more history, or to keep the network anyway "
        "(reference_fallback=False), fit again."
    )


def _error_text(record):
    standard_error = record["standard_error"]
    if not np.isfinite(record["network_val_loss"]):
        return "the network's validation loss is not finite: its training diverged"
    if standard_error is None:
        return ("the validation part holds fewer than two windows with separate forecast rows, too few to estimate "
                "the standard error: a validation part of at least two horizons (`validation=`) lets the network compete")
    return f"standard error of the difference {standard_error:.2g}"
