"""`ForecastSettings`: the Forecaster's data settings, typed, as `prepare` reads them.

The estimator keeps its constructor arguments as scikit-learn does (so `clone`
and `get_params` work); `prepare` and the functions it calls take this frozen
dataclass instead of a dict of them, so a misspelt or missing setting fails at
once, by name, rather than as a `KeyError` deep in the preparation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lstm_toolkit.errors import check_bool


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
