"""Many series, one model: the Forecaster's global-model half (see `Forecaster(series_id=...)`).

A global model trains one network on windows of many related series. Each
series is split by time and scaled on its own training part; windows of all
series are mixed for training but never cross a series or its split
(`data.SeriesCollection`). Optionally the network also knows which series a
window comes from, as DeepAR and Darts do:

- a learned series embedding (`series_embedding=k`): each series' integer
  code maps to a trained vector of `k` numbers;
- static features (`static_features=[...]`): numeric columns constant within
  each series (a region's size, a product's price band), standardised across
  the training series.

Both reach the model as extra inputs ("series", "static") that are joined to
every step of the window. Everything else in this module is bookkeeping:
splitting the data by id, the per-series scalers (`prepare`, giving the
prepared problem of `forecasting.problem`), and the long frames with the id
that `predict`/`backtest`/`evaluate` return (`with_id`). Those forecast every
series in one pass over the model (`forecasting.batched`).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

from lstm_toolkit.data import SeriesCollection, WindowedSeries, as_frame
from lstm_toolkit.data.frame import parse_times
from lstm_toolkit.errors import ConfigError, DataError
from lstm_toolkit.forecasting.problem import context_rows, make_spec, names, problem_of


def split_series(data, series_id, static_features=None):
    """`{id: frame}` (as given, timestamps not parsed) from a dict of frames or a long DataFrame with `series_id`.

    The `static_features` columns are dropped.
    """
    static = names(static_features)
    if static:
        return {key: frame.drop(columns=static, errors="ignore") for key, frame in split_series(data, series_id).items()}
    if isinstance(data, dict):
        if not data:
            raise DataError("The dict of series is empty.")
        return dict(data)
    if series_id is None:
        raise DataError("This Forecaster was fit on many series: pass a dict of frames, or set `series_id`.")
    if not isinstance(data, pd.DataFrame) or series_id not in data.columns:
        columns = list(data.columns) if isinstance(data, pd.DataFrame) else type(data).__name__
        raise DataError(f"series_id={series_id!r} is not a column of the data ({columns}).")
    if data[series_id].isna().any():
        raise DataError(f"{int(data[series_id].isna().sum())} row(s) have no {series_id!r}. Fill or drop them.")
    return dict(iter(data.drop(columns=[series_id]).groupby(data[series_id], sort=False)))


def indexed_by_time(data, time_col):
    """A long DataFrame with its column `time_col` parsed once and made the index (as `as_frame` would per series)."""
    indexed = data.drop(columns=[time_col])
    indexed.index = parse_times(data, time_col)
    return indexed


def static_values(key, frame, static_features):
    """The static features of one series (a float vector), checked to be numeric, finite and constant."""
    columns = names(static_features)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"Series {key!r} lacks the static feature column(s) {missing}. Columns: {list(frame.columns)}.")
    values = []
    for name in columns:
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column) or not np.isfinite(column.to_numpy(dtype="float64")).all():
            raise DataError(f"Static feature {name!r} of series {key!r} must be numeric and finite (no NaN).")
        if column.nunique() != 1:
            raise DataError(
                f"Static feature {name!r} takes {column.nunique()} values within series {key!r}; a static "
                "feature is one value per series. Use `features=` for inputs that change over time."
            )
        values.append(float(column.iloc[0]))
    return np.array(values)


def prepare(settings, model_config, data, validation=None):
    """`problem.prepare` for many series: one spec, a scaler and a split per series, one `SeriesCollection`.

    Returns:
        `(ForecastProblem, SeriesCollection)`. Series too short for a window
        are left out with a warning and listed in the problem's `skipped_series`.
    """
    if settings.stateful:
        raise ConfigError("A stateful model carries one series' state; fit many series with stateful=False.")
    dim = settings.series_embedding
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 0:
        raise ConfigError(f"`series_embedding` must be an integer >= 0 (0: none). Received: {dim!r}")
    static_names = names(settings.static_features)
    frames, static = {}, {}
    time_col = settings.time_col
    if isinstance(data, pd.DataFrame) and time_col in data.columns:  # parsed once for all series, not per series
        data, time_col = indexed_by_time(data, time_col), None
    for key, frame in split_series(data, settings.series_id).items():
        frame = as_frame(frame, time_col=time_col)
        if static_names:
            static[key] = static_values(key, frame, static_names)
        frames[key] = frame.drop(columns=static_names) if static_names else frame
    validation = settings.validation if validation is None else validation
    spec = make_spec(settings, next(iter(frames.values())))
    members, skipped = {}, {}
    for key, frame in frames.items():
        try:
            members[key] = WindowedSeries.from_frame(frame, spec, validation=validation, scaler=settings.scaler, fill=settings.fill)
        except DataError as error:
            skipped[key] = str(error)
    if skipped:
        warnings.warn(
            f"{len(skipped)} of {len(frames)} series were left out of training ({list(skipped)[:10]}): "
            f"{next(iter(skipped.values()))} See `skipped_series_` for each reason.",
            UserWarning,
            stacklevel=4,
        )
    if not members:
        raise DataError(f"No series is long enough to train on: {next(iter(skipped.values()))}")
    codes = {key: code for code, key in enumerate(members)} if dim else None
    standardised = None
    if static_names:
        trained = np.stack([static[key] for key in members])
        mean, std = trained.mean(axis=0), trained.std(axis=0)
        standardised = {
            "mean": mean.tolist(),
            "std": np.where(std > 0, std, 1.0).tolist(),
            "values": {key: static[key].tolist() for key in members},
        }
    scalers = {key: member.scaler for key, member in members.items()}
    fit_ends = {key: frames[key].index[-1] for key in members}
    first = next(iter(members))
    many = dict(scalers=scalers, fit_ends=fit_ends, skipped_series=skipped, series_codes=codes, static=standardised)
    # the context rows (series code, static features) of each series reach the model beside its windows
    collection = SeriesCollection(members, context={key: context_rows(key, codes, standardised) for key in members})
    return problem_of(settings, model_config, collection, frames[first].index, scalers[first], **many), collection


# --- per-series results -------------------------------------------------------------------------------


def with_id(results, series_id):
    """Per-series frames joined into one long frame whose first column is the series id (`series_id` or "series")."""
    return pd.concat(results, names=[series_id or "series"]).reset_index(level=0)
