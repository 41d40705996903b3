"""`ForecastSettings`: the Forecaster's data settings, typed, as `prepare` reads them.

The estimator keeps its constructor arguments as scikit-learn does (so `clone`
and `get_params` work); `prepare` and the functions it calls take this frozen
dataclass instead of a dict of them, so a misspelt or missing setting fails at
once, by name, rather than as a `KeyError` deep in the preparation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from lstm_toolkit.errors import ConfigError, check_bool


@dataclasses.dataclass(frozen=True)
class ForecastSettings:
    """What a Forecaster's `prepare` reads of its parameters (see `Forecaster` for each one's meaning).

    Example:
    >>> settings = ForecastSettings.from_params({"lookback": 24, "horizon": 6, "target": "y", "unrelated": 1})
    >>> settings.lookback, settings.horizon, settings.strategy
    (24, 6, 'direct')
    """

    lookback: Any = "auto"
    horizon: int = 1
    target: Any = None
    features: Any = None
    future_covariates: Any = None
    calendar: Any = ()
    time_col: str | None = None
    series_id: str | None = None
    series_embedding: int = 0
    static_features: Any = None
    scaler: Any = "auto"
    strategy: str = "direct"
    stateful: bool = False
    ensemble: int = 1
    validation: Any = 0.1
    season_length: int | None = None
    fill: Any = None
    nonnegative: Any = "auto"

    def __post_init__(self):
        check_column_settings(self)
        for name in ("target", "features", "future_covariates", "static_features", "calendar"):
            value = getattr(self, name)  # `df.columns` or an array of names: kept as a tuple of Python names
            if isinstance(value, (np.ndarray, pd.Index)):
                object.__setattr__(self, name, tuple(value.tolist()))
        # the flags as Python bools (numpy's bool taken), so `is True` reads them; anything else is refused by name
        object.__setattr__(self, "stateful", check_bool(self.stateful, "stateful"))
        object.__setattr__(self, "nonnegative", check_bool(self.nonnegative, "nonnegative", allowed=("auto",)))

    @classmethod
    def from_params(cls, params):
        """The settings among an estimator's parameters (`get_params()`); the others are left out."""
        fields = {field.name for field in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in params.items() if name in fields})

    def many(self, data):
        """True when `data` is taken as many series: a `series_id` is set, or `data` is a dict of frames."""
        return self.series_id is not None or isinstance(data, dict)


def check_column_settings(settings):
    """Refuses, by name, a column setting of `settings` that cannot name columns, or that names the series id's or
    the timestamps' column as an input or output: they reached pandas as an unhashable list or an ambiguous truth
    value, or, for the timestamps named as the target, as duplicate timestamps of 1970."""
    for name in ("time_col", "series_id"):  # one column each
        value = getattr(settings, name)
        if value is not None and (isinstance(value, (pd.Series, pd.DataFrame)) or not isinstance(value, Hashable)
                                  or isinstance(value, tuple)):
            joined = (" Series told apart by several columns: join them into one first, e.g. "
                      "df['id'] = df['a'].astype(str) + '/' + df['b'].astype(str).") if name == "series_id" else ""
            raise ConfigError(f"`{name}` names one column. Received: {name}={_shown(value)}.{joined}")
    for name in ("target", "features", "future_covariates", "static_features"):  # column names
        value = getattr(settings, name)
        if isinstance(value, pd.DataFrame) and name == "static_features":
            raise ConfigError("`static_features` names columns of the data that hold one value per series; received "
                              "a DataFrame. Join a table of them by series id to the data first (data.merge(table, "
                              "left_on=series_id, right_index=True)), then pass static_features=list(table.columns).")
        if isinstance(value, (pd.Series, pd.DataFrame)):
            read, example = (("values", repr(value.name) if value.name is not None else "'y'")
                             if isinstance(value, pd.Series) else ("columns", "list(df.columns)"))
            raise ConfigError(f"`{name}` takes column names; received a pandas {type(value).__name__}, whose {read} would "
                              f"be read as names. Pass the name(s), e.g. {name}={example}.")
    for key, what in (("series_id", "the column that says which series a row belongs to"),
                      ("time_col", "the column of timestamps")):
        column = getattr(settings, key)
        for role in ("target", "time_col", "features", "future_covariates", "static_features"):
            if column is not None and role != key and column in names(getattr(settings, role)):
                fix = "another column" if role in ("target", "time_col") else "other columns" + (
                    " (`series_embedding=` lets the network tell the series apart)" if key == "series_id" else "")
                raise ConfigError(f"`{role}` names {key}={column!r}, {what}: give `{role}` {fix}.")


def _shown(value):
    """`value` for a message: a short repr, or its type where that would be long (a frame, a long list)."""
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def names(value):
    """A column name or a list of them (a tuple, `pd.Index`, array: `df.columns`), or None, as a list.

    >>> names("y"), names(None), names(pd.Index(["a", "b"])), names(0)
    (['y'], [], ['a', 'b'], [0])
    """
    if value is None or (isinstance(value, str) and not value):
        return []
    return [value] if isinstance(value, str) or not isinstance(value, Iterable) else list(value)
