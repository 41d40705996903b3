"""The prepared problem's data-dependent choices: the resolved model config and the window normalisation's scales.

`resolve_model_config` turns the "auto" fields of a `ModelConfig` into what
is built (units, architecture, window normalisation, season and segment length,
ensemble size); `norm_scales` fits the normalisation's scales on training
windows. Both read the prepared training data, never the part after it.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings

import numpy as np

from lstm_toolkit.data import SeriesCollection
from lstm_toolkit.errors import ConfigError, ShortLookbackWarning, check_integer, check_integers, user_stacklevel
from lstm_toolkit.forecasting import backtest
from lstm_toolkit.forecasting.linear import DEFAULT_LINEAR_SHARE
from lstm_toolkit.models import (
    REFERENCE_NORMS,
    SEASONAL_NORMS,
    SEGMENT_FROM_LOOKBACK,
    SMOOTHING_GRID,
    check_member_lookbacks,
    check_reference_fits,
    check_streamable,
    reference_fits,
    resolve_segment_length,
    window_norm_scales,
)

# units="auto" (the Forecaster's default): one layer of SMALL_UNITS below SMALL_NETWORK_WINDOWS training windows,
# else DEFAULT_UNITS (`resolve_units`). On the suite's cases with 12-150 training windows one layer of 32 forecast
# better than two of 64 on 7, as well on 3 and worse on 2 (PBS, US consumption with covariates); mean MASE 0.962 to
# 0.937 over 12 cases, 3 seeds, with half the seed spread. One layer of 64 did not (0.955; lynx 1.02 where 32 gave
# 0.91). At 986 windows (Seattle daily wind) they tied. Held out: a tie (`benchmarks/units_heldout.py`).
# `results/forecast_suite_units_auto_epyc.txt`.
SMALL_NETWORK_WINDOWS = 500
SMALL_UNITS = (32,)
DEFAULT_UNITS = (64, 64)
# Training windows sampled to fit the normalisation's scales.
NORM_SAMPLE = 4000
# Training windows from which batch_size="auto" is 128 rather than 64 (`resolve_batch_size`).
LARGE_BATCH_FROM = 4096
# The references "auto" chooses among. Not "damped": as a candidate (chosen when its best coefficients erred 5%
# less than the naive family on the data given to `fit`), it made the suite's mean worse: better on shampoo, US
# income and savings, Seattle daily maximum and the global employment model, worse on lynx, US production and
# unemployment, PBS, Seattle precipitation and MSFT volume (`results/forecast_suite_damped_reference_epyc.txt`).
# A network reading windows relative to their last value learns the smoothing itself.
AUTO_REFERENCES = tuple(mode for mode in REFERENCE_NORMS if mode != "damped")
# lookback="auto" (the Forecaster's default): this many rows, or one season when the season is longer
# (`resolve_lookback`).
DEFAULT_LOOKBACK = 48


def resolve_scaler(scaler, many, spec):
    """"auto": "naive" (`data.Scaler`) for many series whose inputs are their targets, else "standard".

    A model of many series trained on each series scaled by its own naive
    error weighs each series' errors as MASE does: a short or flat training
    part (a tiny standard deviation) no longer outweighs the rest. Chosen on
    two panels (`benchmarks/m1_yearly.py`, the global employment case of
    `benchmarks/forecast_suite.py`): the network alone scores 3.85-3.92
    against 4.31 (M1 yearly) and 0.221 against 0.276 (employment). Other
    input columns keep "standard": a feature that seldom changes (a promotion
    flag) would be divided by a tiny mean change.

    >>> from lstm_toolkit.data import WindowSpec
    >>> resolve_scaler("auto", True, WindowSpec(lookback=8, targets="y")), resolve_scaler("auto", False, WindowSpec(lookback=8, targets="y"))
    ('naive', 'standard')
    """
    if scaler != "auto":
        return scaler
    return "naive" if many and set(spec.data_columns) == set(spec.targets) else "standard"


def resolve_loss(loss, problem):
    """"auto": "mae" for a global model of many series each scaled by its naive error (`resolve_scaler`), else "mse".

    Each series scaled by its naive error makes the training loss add up errors
    in units of MASE's scale, and the absolute error then is MASE. The squared
    error lets the few series hardest to forecast steer a global model (M1
    yearly's mean MASE of 3.8 holds series above 20). Chosen on four panels
    (`benchmarks/panel_loss.py`, 3 seeds, with `resolve_linear_share`): the
    same forecasts where the reference is kept (M1's test years, the employment
    model), better where the network is (M1's six years before 2.672 to 2.588,
    Seattle daily weather 0.735 to 0.705), a tie on US change (0.896 to
    0.897); the employment network alone 0.233 to 0.217. One series keeps
    "mse": on the suite's short series the squared error's smoother gradient
    trained steadier networks (mean MASE 0.655 against 0.670). Before
    `prepare` (no problem yet) "auto" reads as "mse".

    >>> resolve_loss("auto", None), resolve_loss("gaussian", None)
    ('mse', 'gaussian')
    """
    if loss != "auto":
        return loss
    return "mae" if problem is not None and problem.is_global and problem.scaler.kind == "naive" else "mse"


def resolve_linear_share(share, loss):
    """"auto": `linear.DEFAULT_LINEAR_SHARE` (0.5) of the forecast to a ridge regression with loss "mse", none with "mae".

    The ridge is a least-squares fit: averaged into a network trained on the
    absolute error it pulls the forecast back toward the squared error's answer
    (M1's six years before its test years: 2.659 with it, 2.588 without;
    Seattle daily weather 0.716 and 0.705; US change 0.890 and 0.897).

    >>> resolve_linear_share("auto", "mse"), resolve_linear_share("auto", "mae"), resolve_linear_share(0.3, "mae")
    (0.5, 0, 0.3)
    """
    return (DEFAULT_LINEAR_SHARE if loss == "mse" else 0) if share == "auto" else share


def resolve_lookback(lookback, season):
    """"auto": `DEFAULT_LOOKBACK` (48) rows, or one season when the season is longer; a given lookback is kept.

    A window shorter than the season cannot hold the value one season before
    the forecast, so no seasonal reference can be chosen and the network cannot
    see the yearly pattern: on weekly data (a season of 52 weeks) 48 rows fell
    short of it (`benchmarks/lookback_season.py`). The rule reads the season
    alone (the frequency, or `season_length=`), never the series' length, so
    every training of one `fit` (the rolling origins, the refit) windows alike.

    >>> resolve_lookback("auto", 24), resolve_lookback("auto", 52), resolve_lookback(26, 52)
    (48, 52, 26)
    """
    lookback = check_integer(lookback, "lookback", allowed=("auto",), also=" or 'auto'")
    return max(DEFAULT_LOOKBACK, season) if lookback == "auto" else lookback


def warn_short_lookback(settings, season, n_rows):
    """Warns (`ShortLookbackWarning`) when a window model's lookback is shorter than the season and the data given
    to `fit` (`n_rows`, its longest series) could hold windows of a season; calendar features or a stateful model
    (whose state spans the series) see the season another way."""
    lookback, horizon = settings.lookback, settings.horizon
    if season <= 1 or lookback >= season or settings.stateful or settings.calendar or n_rows < season + horizon:
        return
    warnings.warn(
        f"lookback={lookback} is shorter than one season ({season} rows): a window cannot hold the value one season "
        "before the forecast, so no seasonal reference (seasonal naive) can be chosen and the network cannot see "
        f"the seasonal pattern. Use lookback={season} or more (lookback='auto' does), add `calendar=` features, or "
        "set `season_length=` if the season is not that.", ShortLookbackWarning, stacklevel=user_stacklevel())


def resolve_batch_size(batch_size, n_train_windows, stateful=False):
    """"auto": 64 windows a batch, 128 from `LARGE_BATCH_FROM` training windows (a stateful model: 64 segments).

    A long series trains as many steps an epoch as it has batches; twice the
    batch halves them at the same learning rate. On MSFT's daily volume (6,700
    training windows, `benchmarks/forecast_suite.py`, 3 seeds) batch 128 scored
    the same MASE (0.296) with half the seed spread (0.010 against 0.021) and fit
    in 42-52 s against 37-68 s; a learning rate doubled with it did worse (0.301).
    Held out (`benchmarks/batch_heldout.py`) fits were 15-35% faster and up to
    4% worse where the network still improved at the epoch cap (an ECG
    excerpt): give `batch_size=64` (or more epochs) there.

    >>> resolve_batch_size("auto", 1_000), resolve_batch_size("auto", 50_000), resolve_batch_size(32, 50_000)
    (64, 128, 32)
    """
    if batch_size == "auto":
        return 64 if stateful or n_train_windows < LARGE_BATCH_FROM else 128
    return check_integer(batch_size, "batch_size", also=" or 'auto'")


def resolve_model_config(settings, config, series, season):
    """Fills in the model config's data-dependent choices: units, season length, "auto" architecture, normalisation, segment length, highway.

    "auto" is the window normalisation whose reference forecast is best on the
    training and validation parts (`auto_window_norm`); a stateful model takes "last". Where a
    target is not an input (`features` that leave it out) it is "none": every reference reads
    the target's own past in the window.
    """
    season = config.season_length or season
    ensemble = resolve_members(settings.ensemble, config, settings.stateful, settings.lookback)
    # a reference every member can make: from the shortest window any member reads
    reference_lookback = min(ensemble["member_lookbacks"] or (settings.lookback,))
    config = dataclasses.replace(config, units=resolve_units(config.units, series.n_windows("train")))
    architecture = resolve_architecture(config, settings.lookback, season, settings.stateful)
    if config.highway == "auto":  # a window model gets the linear highway; a stateful one sees one row at a time
        config = dataclasses.replace(config, highway=not settings.stateful)
    window_norm, smoothing = config.window_norm, config.smoothing
    if settings.stateful:
        check_streamable(dataclasses.replace(config, architecture=architecture))
    if window_norm == "auto" and None in series.spec.target_channels:
        window_norm = "none"  # a target that is not an input has no past in the window to forecast relative to
    elif window_norm == "auto":
        window_norm, smoothing = (("last", None) if settings.stateful
                                  else auto_window_norm(series, reference_lookback, settings.horizon, season))
    elif window_norm == "damped" and smoothing is None:  # the coefficients the data given to `fit` favours
        check_reference_fits(window_norm, reference_lookback, season)
        _, smoothing = auto_window_norm(series, reference_lookback, settings.horizon, season, modes=("damped",))
    segment = config.segment
    if architecture == "segment":  # "auto" becomes the segment length the model is built with
        segment = dataclasses.replace(segment, length=resolve_segment_length(settings.lookback, segment.length, season))
    return dataclasses.replace(config, window_norm=window_norm, smoothing=smoothing, season_length=season, segment=segment,
                               architecture=architecture, **ensemble)


def resolve_units(units, n_train_windows):
    """The recurrent layers' units: "auto" is `SMALL_UNITS` (one layer of 32) below `SMALL_NETWORK_WINDOWS` (500)
    training windows, else `DEFAULT_UNITS` (two layers of 64); given units are kept.

    A short series (a few dozen to a few hundred windows) is forecast better, and steadier from seed to seed, by
    the smaller network (see `SMALL_NETWORK_WINDOWS`).

    >>> resolve_units("auto", 120), resolve_units("auto", 5000), resolve_units((128,), 120)
    ((32,), (64, 64), (128,))
    """
    if units != "auto":
        return units
    return SMALL_UNITS if n_train_windows < SMALL_NETWORK_WINDOWS else DEFAULT_UNITS


def reference_candidates(lookback, season, modes=AUTO_REFERENCES):
    """The references of `modes` that a window of `lookback` rows and `season` admit: those whose forecast fits in
    the window, and no seasonal one for a season of 1 (it would be naive again).

    >>> reference_candidates(12, 4), reference_candidates(12, 1)
    (['last', 'drift', 'seasonal', 'seasonal_drift'], ['last', 'drift'])
    """
    return [mode for mode in modes
            if reference_fits(mode, lookback, season) and (season > 1 or mode not in SEASONAL_NORMS)]


def auto_window_norm(series, lookback, horizon, season, modes=AUTO_REFERENCES):
    """"auto": the window normalisation whose reference forecast errs least on the data given to `fit` (mean over the series).

    The candidates (`AUTO_REFERENCES`) are naive ("last"), naive plus the
    recent drift ("drift"), and, when the season fits in the window, seasonal
    naive ("seasonal") and seasonal naive plus the last season's change
    ("seasonal_drift"); see `models.reference_forecast`. "damped" is one
    candidate per coefficient triple of `SMOOTHING_GRID` (`modes=("damped",)`
    fits the coefficients of `window_norm="damped"`). Many series: each one's
    errors relative to its naive error, averaged over the series. On a tie
    the first of them wins.

    Returns:
        `(mode, smoothing)`: smoothing is the chosen `(alpha, beta, phi)` for "damped", else None.
    """
    modes = reference_candidates(lookback, season, modes)
    references = [(mode, None) for mode in modes if mode != "damped"]
    references += [("damped", smoothing) for smoothing in SMOOTHING_GRID if "damped" in modes]
    members = series.members.values() if isinstance(series, SeriesCollection) else [series]
    trained = [m for m in members if m.n_windows("train")]  # one too short to train on has no window to score
    # Each series' errors relative to its own naive error, so that every series counts alike whatever its scale
    # (a series scaled on a short, flat training part would outweigh the rest); one series: the same choice.
    naive = ("last", None)
    errors = backtest.fit_reference_errors(trained, lookback, horizon, season, list(dict.fromkeys([naive, *references])))
    relative = [{ref: e[ref] / e[naive] if e[naive] > 0 else e[ref] for ref in references} for e in errors]
    return min(references, key=lambda ref: np.mean([e[ref] for e in relative]))


def resolve_architecture(config, lookback, season, stateful):
    """"auto": the segment model for long windows it can cut into segments, else the point-wise stacked LSTM.

    Example:
    >>> from lstm_toolkit.models import ModelConfig
    >>> resolve_architecture(ModelConfig(architecture="auto"), 336, 24, False)
    'segment'
    >>> resolve_architecture(ModelConfig(architecture="auto"), 48, 24, False)
    'stacked'
    """
    if config.architecture != "auto":
        return config.architecture
    if stateful or config.bidirectional or lookback < SEGMENT_FROM_LOOKBACK:
        return "stacked"
    return "segment" if resolve_segment_length(lookback, config.segment.length, season) > 1 else "stacked"


def resolve_members(ensemble, config, stateful, lookback):
    """The ensemble, as `{"members", "member_lookbacks"}` for the model config.

    The Forecaster's `ensemble` is a count of members (a seed ensemble) or a
    tuple of lookbacks (an ensemble across lookbacks, one member each, none
    longer than `lookback`); the model config's `members` and
    `member_lookbacks` say the same, and must agree with it when both are set.

    >>> from lstm_toolkit.models import ModelConfig
    >>> resolve_members((6, 8, 12), ModelConfig(), False, 12)
    {'members': 3, 'member_lookbacks': (6, 8, 12)}
    >>> resolve_members(3, ModelConfig(), False, 12)
    {'members': 3, 'member_lookbacks': ()}
    """
    if isinstance(ensemble, numbers.Integral) and not isinstance(ensemble, bool):
        size, lookbacks = check_integer(ensemble, "ensemble"), ()
    else:
        lookbacks = check_integers(ensemble, "ensemble", also=" (a count of members, or a tuple of lookbacks)")
        if len(lookbacks) < 2:
            raise ConfigError(f"ensemble={ensemble!r} is one lookback; an ensemble across lookbacks needs two or more "
                              "(for one window length, set `lookback`; for a seed ensemble, give a count).")
        size = len(lookbacks)
    if config.member_lookbacks and lookbacks and config.member_lookbacks != lookbacks:
        raise ConfigError(f"ensemble={ensemble!r} and ModelConfig(member_lookbacks={config.member_lookbacks}) "
                          "disagree; set one of them.")
    lookbacks = lookbacks or config.member_lookbacks
    if size > 1 and config.members > 1 and size != config.members:
        raise ConfigError(f"ensemble={ensemble!r} and ModelConfig(members={config.members}) disagree; set one of them.")
    size = max(size, config.members)
    if size > 1 and stateful:
        raise ConfigError(
            "An ensemble is not built for stateful=True (each member would carry its own state through the "
            "stream); use a window model (stateful=False) or ensemble=1."
        )
    check_member_lookbacks(lookbacks, lookback)  # before any training, as the model checks it again when built
    return {"members": size, "member_lookbacks": lookbacks}


def norm_scales(series, config, stateful, max_windows=NORM_SAMPLE):
    """Scales of the window normalisation, from (a sample of) the training windows.

    A stateful model's "window" at each origin is its own row.
    """
    spec = series.spec
    if stateful:
        ends = np.arange(0, series.bounds["train"][1] - spec.horizon)
    else:
        ends = series.starts("train") + spec.lookback - 1
    ends = ends[:: max(1, len(ends) // max_windows)]
    windows = series.windows_ending_at(ends) if not stateful else series.inputs[ends][:, None, :]
    targets = series.targets[ends[:, None] + 1 + np.arange(spec.horizon)[None, :]]
    return window_norm_scales(
        windows,
        targets,
        config.window_norm,
        spec.target_channels,
        channels=range(len(spec.input_columns)),
        season_length=config.season_length,
        smoothing=config.smoothing,
    )
