"""`prepare`: a Forecaster's data in; the prepared problem and its windowed training data out.

One path for one series and many. The data is first taken apart into
`{key: frame}`: `{None: frame}` for one series, `{id: frame}` for many
(`many_series.split_series`). Every series then goes through the same steps:
one `WindowSpec`, a time split and a scaler fit on its own training part
(`data.WindowedSeries`). What differs is bookkeeping kept in the problem: one
series is its own `WindowedSeries`; many are a `SeriesCollection` with each
series' scaler and end, its code for a series embedding and its static
features. Many series are left-padded where they are too short for a window
(`WindowedSeries.from_frame(pad=True)`); a series too short for a training
window even then is forecast by the network trained on the others, and one
with fewer than two training rows, or constant ones, gets the naive forecast
(`skipped_series`), all named in one warning.

Example:
>>> import numpy as np, pandas as pd
>>> from lstm_toolkit.forecasting.settings import ForecastSettings
>>> from lstm_toolkit.models import ModelConfig
>>> frame = pd.DataFrame({"y": np.sin(np.arange(120) / 4.0)})
>>> problem, series = prepare(ForecastSettings(lookback=12, horizon=3), ModelConfig(), frame)
>>> problem.spec.lookback, problem.is_global, series.n_windows("train") > 0
(12, False, True)
>>> panel = {"a": frame, "b": 2 * frame}
>>> problem, collection = prepare(ForecastSettings(lookback=12, horizon=3), ModelConfig(), panel)
>>> problem.is_global, sorted(problem.scalers)
(True, ['a', 'b'])
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import warnings

import numpy as np
import pandas as pd

from lstm_toolkit.data import (SeriesCollection, TimeForm, WindowedSeries, as_frame, infer_frequency, integer_step,
                               irregular_steps, missing_steps, nearest_frequency)
from lstm_toolkit.errors import (ConfigError, DataError, IrregularTimestampsWarning, MissingTimestampsWarning,
                                 SeriesTooShortError, check_integer, user_stacklevel)
from lstm_toolkit.forecasting.choices import resolve_lookback, resolve_scaler, warn_short_lookback
from lstm_toolkit.forecasting.fitting import Preparers
from lstm_toolkit.forecasting.many_series import (about_series, indexed_by_time, long_frame_order, split_series,
                                                 static_values)
from lstm_toolkit.forecasting.problem import context_rows, make_spec, problem_of, season_of
from lstm_toolkit.forecasting.settings import ForecastSettings, names


def prepare(settings, model_config, data, validation=None, warn=True):
    """Checks, splits and scales the series in `data`: `(ForecastProblem, WindowedSeries or SeriesCollection)`.

    Args:
        settings: the Forecaster's `ForecastSettings`.
        model_config: its `ModelConfig` as given ("auto" choices still open).
        data, validation: as for `Forecaster.fit`.
        warn: False where the data was prepared, and warned about, once already
            (`preparers`: the refit, earlier origins): gaps, a short lookback and
            series left out are then not told again.

    Many series (`settings.many(data)`): short ones are padded, or forecast
    untrained, or left to the naive forecast (`panel_member`), named in one
    warning; the last are the problem's `skipped_series`.
    """
    many = settings.many(data)
    check_settings(settings, many)
    frames, static = series_frames(settings, data, many)
    if not any(len(frame) for frame in frames.values()):  # a CSV of its header alone, say: its columns read as text
        raise DataError("The data has no rows; give the series to train on.")
    validation = settings.validation if validation is None else validation
    if isinstance(validation, (pd.DataFrame, pd.Series, np.ndarray)):
        if many:
            raise ConfigError("A validation frame is for one series; with many series give `validation` as a "
                              "fraction, a row count or a first timestamp, taken from the end of every series.")
        extra = as_frame(validation, time_col=settings.time_col)
        frames[None], validation = as_frame(pd.concat([frames[None], extra])), len(extra)
    first = next(iter(frames.values()))
    freq = infer_frequency(max(frames.values(), key=len).index)  # a panel's: its longest series'
    if warn:
        warn_time_steps({key: frame.index for key, frame in frames.items()}, freq)
    season = season_of(settings, freq)
    chosen = settings.lookback == "auto"
    settings = dataclasses.replace(settings, lookback=resolve_lookback(settings.lookback, season))
    if warn:
        warn_short_lookback(settings, season, max(len(frame) for frame in frames.values()))
    spec = make_spec(settings, first)
    scaler = resolve_scaler(settings.scaler, many, spec)
    members, skipped, untrained = {}, {}, []
    if many:  # a missing or text column is the data's, not one short series' to leave out
        # A long frame's series share its columns and their types: its first stands for all. A dict's are each their own.
        for key, frame in itertools.islice(frames.items(), 1 if isinstance(data, pd.DataFrame) else None):
            with about_series(key):
                spec.check_columns(frame)
    for key, frame in frames.items():
        make = functools.partial(WindowedSeries.from_frame, frame, spec, validation=validation, scaler=scaler,
                                 fill=settings.fill, pad=many)
        if not many:
            members[key] = one_series(make, settings.lookback if chosen else None, season)
            continue
        member, trains, reason = panel_member(make)
        if member is None:
            skipped[key] = reason
        else:
            members[key] = member
            if not trains:
                untrained.append(key)
    if many:
        problem, series = many_problem(settings, model_config, frames, members, skipped, untrained, static, freq, warn)
    else:
        series = members[None]
        problem = problem_of(settings, model_config, series, frames[None].index, series.scaler, freq)
    return dataclasses.replace(problem, labels=TimeForm.of(data, settings.time_col)), series


def warn_time_steps(indexes, freq):
    """Warns when a series' time index is not a regular one of the data's frequency `freq`.

    `indexes`: `{key: time index}` of the series (key None for one series),
    the rows `fit` trains on or those `predict` and `evaluate` read.
    `MissingTimestampsWarning`: it skips steps (`data.missing_steps`).
    `IrregularTimestampsWarning`: its steps are not whole steps of `freq` (`data.irregular_steps`): jittered readings
    or event times, which have no frequency. Each names the first such series of a panel and the fix.
    """
    gaps, off = {}, {}
    for key, index in indexes.items():
        if len(steps := missing_steps(index, freq)):
            gaps[key] = steps
        elif len(steps := irregular_steps(index, freq)):
            off[key] = steps
    if gaps:
        key, steps = next(iter(gaps.items()))
        shown = ", ".join(str(step) for step in steps[:3]) + (", ..." if len(steps) > 3 else "")
        index, per_series = indexes[key], "" if key is None else " per series"
        if isinstance(index, pd.DatetimeIndex):
            unit, fix = f"its frequency {freq!r}", f"df.asfreq({freq!r}){per_series}"
            meant = "If the gaps are meant (market hours, say), this warning can be ignored."
        else:  # integers that count steps (years, say): a label the step skips is a missing row
            step = integer_step(index)
            unit = f"its integer index (a step of {step})"
            fix = f"df.reindex(range(df.index[0], df.index[-1] + {step}, {step})){per_series}"
            meant = "If the index only numbers rows that are consecutive steps, give df.reset_index(drop=True)."
        warnings.warn(
            f"{_which(key, gaps, indexes)} skips steps of {unit}: {len(steps)} missing ({shown}). Windows "
            "read the rows on either side of a gap as consecutive steps, and a season as that many rows. Reindex to "
            f"every step and fill the new rows: {fix} with "
            f"fill='interpolate' or 'ffill'. {meant}",
            MissingTimestampsWarning, stacklevel=user_stacklevel())
    if off:
        key, steps = next(iter(off.items()))
        index = indexes[key]
        regular = nearest_frequency(pd.Timedelta(int(np.median(np.diff(index.as_unit("ns").asi8))), "ns"))
        rounded = "" if regular in ("MS", "QS", "YS") else f" (or, with one reading per step, df.index = df.index.round({regular!r}))"
        warnings.warn(
            f"{_which(key, off, indexes)} is on no regular grid: {len(steps)} of its {len(index) - 1} steps are not "
            f"whole steps of its typical one ({freq!r}; the first ends at {steps[0]}). Windows read the rows as "
            f"equally spaced steps, the season is counted in rows, and forecasts are stamped {freq!r} apart. Put the "
            f"data on a grid first{'' if key is None else ', per series'}: df.resample({regular!r}).mean(){rounded}, then "
            "fill what is missing with fill='interpolate'.",
            IrregularTimestampsWarning, stacklevel=user_stacklevel())


def _which(key, found, indexes):
    """How a time-index warning names the series it is about: one series', or how many of a panel's and the first."""
    return "The time index" if key is None else f"{len(found)} of {len(indexes)} series (the first: {key!r})"


def one_series(make, auto=None, season=1):
    """`make()` (a `WindowedSeries.from_frame`). `auto`: the lookback "auto" took (None: the user gave one), which a
    series too short for it is told about, with the window of one `season` to try where that is shorter."""
    try:
        return make()
    except SeriesTooShortError as error:
        if auto is None:
            raise
        if auto == season:
            raise DataError(f"{error} lookback='auto' took one season ({season} rows); a shorter lookback fits this "
                            "series, though its window then misses the value one season before the forecast.") from None
        fix = (f"; on a series this short try lookback={season}, one season, which still holds the value one season "
               "before the forecast" if 1 < season < auto else "")
        raise DataError(f"{error} lookback='auto' took {auto} rows{fix}.") from None


def preparers(params, model_config, data):
    """The `fitting.Preparers` of the data given to a Forecaster's `fit` (`params`: its `get_params()`): all of it
    (the refit), and for one series its earlier forecast origins."""
    settings = ForecastSettings.from_params(params)

    def all_data(units):  # the refit keeps the units the first run chose its epochs for
        return prepare(settings, dataclasses.replace(model_config, units=units), data, validation=0, warn=False)

    return Preparers(all=all_data, origin=origin_preparer(settings, data))


def origin_preparer(settings, data):
    """`(drop, model_config) -> (problem, series)`: one series' `data` less its last `drop` rows, its last `horizon` the
    validation part (the rolling origins of `fitting.origin_evidence`); None for many series, whose
    validation windows are many."""
    if settings.many(data):
        return None
    frame = as_frame(data, time_col=settings.time_col)

    def prepare_origin(drop, model_config):
        return prepare(settings, model_config, frame.iloc[: len(frame) - drop], validation=settings.horizon, warn=False)

    return prepare_origin


def check_settings(settings, many):
    """Raises a ConfigError for a setting that only makes sense for one series, or only for many."""
    season = settings.season_length
    check_integer(season, "season_length", allowed=(None,), also=" (1: no season), or None for the data's frequency's own")
    if not many:
        if settings.series_embedding or names(settings.static_features):
            raise ConfigError("series_embedding and static_features tell many series apart; fit with "
                              "`series_id=` or a dict of frames.")
        return
    if settings.stateful:
        raise ConfigError("A stateful model carries one series' state; fit many series with stateful=False.")
    dim = settings.series_embedding
    check_integer(dim, "series_embedding", 0, also=" (0: none)")


def series_frames(settings, data, many):
    """`({key: frame}, {key: static feature vector})`: each series as a time-indexed frame, static columns taken out."""
    if not many:
        return {None: as_frame(data, time_col=settings.time_col)}, {}
    static_names = names(settings.static_features)
    frames, static = {}, {}
    time_col, sorted_by = settings.time_col, long_frame_order(settings.series_id, settings.time_col, data)
    if sorted_by is not None and sorted_by[1] is not None:  # parsed once for all series, not per series
        data, time_col = indexed_by_time(data, time_col), None
    for key, frame in split_series(data, settings.series_id).items():
        with about_series(key):
            frame = as_frame(frame, time_col=time_col, sorted_by=sorted_by)
        if static_names:
            static[key] = static_values(key, frame, static_names)
        frames[key] = frame.drop(columns=static_names) if static_names else frame
    return frames, static


def panel_member(make):
    """`(member, trains, reason)` of one series of many (`make`: its `from_frame`, padded).

    A series too short for a training window even padded is still a member
    (its scaler fit on its training rows; `trains` False) when those rows are
    at least two: the network trained on the others forecasts it. A series
    with fewer, or whose training rows are all equal, is no member: it gets the
    naive forecast, and `reason` says why.
    """
    try:
        member, trains = make(), True
    except DataError:
        trains = False
        try:
            member = make(min_parts=())
        except DataError as reason:  # fewer rows than the validation part, a constant column, ...
            return None, False, f"{reason} It gets the naive forecast (its last value)."
    train = member.targets[member.lead : member.bounds["train"][1]]
    if len(train) < 2:
        return None, False, f"Its {len(train)} training row(s) are too few to scale; it gets the naive forecast."
    if not np.ptp(train, axis=0).any():
        return None, False, "Its training rows are constant; it gets the naive forecast (its last value)."
    return member, trains, None


def series_views(problem, frames, new_rows, fill=None, time_col=None):
    """`({key: (frame, view)}, {key: (frame, reason)})`: how the model of many series `problem` forecasts each series
    of `frames` (`{id: frame}`): the network with the series' one-series view, or the naive forecast and why.

    A series left out of training gets its `skipped_series` reason. A trained series gets its own view
    (`ForecastProblem.for_series`); one it was not trained on, a view scaled on `new_rows(key, frame)` of its rows
    (`new_series_view`: all for `predict`, those before the first forecast for a backtest, as a trained series'
    scaler saw none of what is scored), or the reason they cannot scale it.
    """
    views, left_out = {}, {}
    for key, frame in frames.items():
        if key in problem.skipped_series:
            left_out[key] = (frame, problem.skipped_series[key])
        elif key in problem.scalers:
            views[key] = (frame, problem.for_series(key))
        else:
            check_new_series(problem, key)  # before `new_rows`, which may ask for more (a backtest's `start`)
            frame = as_frame(frame, time_col=time_col)
            view, reason = new_series_view(problem, key, new_rows(key, frame), fill)
            if view is None:
                left_out[key] = (frame, f"It was not trained on, and {reason[0].lower()}{reason[1:]}")
            else:
                views[key] = (frame, view)
    return views, left_out


def check_new_series(problem, key):
    """Raises DataError, naming why and the fix, when the model of many series `problem` cannot forecast series `key`,
    which it was not trained on: it reads which series it forecasts (a series embedding, static features)."""
    if not problem.takes_new_series:
        reads = "a series embedding" if problem.series_codes else "static features"
        known = list(problem.scalers)
        raise DataError(f"Series {key!r} was not trained on, and this model reads which series it forecasts ({reads}), "
                        f"so it forecasts only the {len(known)} series it was trained on ({known[:10]}"
                        f"{'...' if len(known) > 10 else ''}). Fit again with the series in the data, or without "
                        "series_embedding and static_features to forecast new series from their own history.")


def new_series_view(problem, key, history, fill=None):
    """`(view, reason)` of series `key`, which the model of many series `problem` was not trained on, forecast from
    `history` (its rows up to the forecast origin): its one-series view, or None and why it gets the naive forecast.

    As NeuralForecast and Darts forecast a series new to a global model, the view's scaler is fit on the rows given
    (of the kind training fit each series' with, on that series' training rows) and its end is their last row; a
    history shorter than the lookback is left-padded where it is forecast, as in training. Under two rows, or
    constant ones, are the reason (`panel_member`'s). A model that cannot take a new series: `check_new_series`.
    """
    check_new_series(problem, key)
    member, _, reason = panel_member(functools.partial(WindowedSeries.from_frame, history, problem.spec, validation=0,
                                                       scaler=problem.scaler.kind, fill=fill, min_parts=()))
    if member is None:
        return None, reason
    return problem.for_series(key, scaler=member.scaler, fit_end=history.index[-1]), None


def many_problem(settings, model_config, frames, members, skipped, untrained, static, freq, warn=True):
    """The problem of many series (of frequency `freq`): each one's scaler and end, codes, standardised static features."""
    if warn and (skipped or untrained):
        parts = []
        if skipped:
            parts.append(f"{len(skipped)} get the naive forecast ({list(skipped)[:10]}): {next(iter(skipped.values()))}")
        if untrained:
            parts.append(f"{len(untrained)} are too short for a training window even padded ({untrained[:10]}) "
                         "and are forecast by the network trained on the others.")
        warnings.warn(
            f"{len(skipped) + len(untrained)} of {len(frames)} series were left out of training: {' '.join(parts)} "
            "See `skipped_series_` for each series that gets the naive forecast and why.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if len(members) == len(untrained):
        raise DataError("No series is long enough to train on: each needs at least horizon + 1 rows before its "
                        f"validation part. {next(iter(skipped.values()), '')}".strip())
    codes = {key: code for code, key in enumerate(members)} if settings.series_embedding else None
    standardised = None
    if static:
        trained = np.stack([static[key] for key in members])
        mean, std = trained.mean(axis=0), trained.std(axis=0)
        standardised = {
            "mean": mean.tolist(),
            "std": np.where(std > 0, std, 1.0).tolist(),
            "values": {key: static[key].tolist() for key in members},
        }
    scalers = {key: member.scaler for key, member in members.items()}
    fit_ends = {key: frames[key].index[-1] for key in members}
    first = max(members, key=lambda key: len(frames[key]))
    many = dict(scalers=scalers, fit_ends=fit_ends, skipped_series=skipped, series_codes=codes, static=standardised,
                pad_short=True)
    # the context rows (series code, static features) of each series reach the model beside its windows
    collection = SeriesCollection(members, context={key: context_rows(key, codes, standardised) for key in members})
    return problem_of(settings, model_config, collection, frames[first].index, scalers[first], freq, **many), collection
