"""The window spec: which columns go in, which come out, and how far."""

from __future__ import annotations

import dataclasses

from lstm_toolkit.data.frame import check_columns
from lstm_toolkit.data.time_features import CALENDAR_FEATURES, calendar_columns
from lstm_toolkit.errors import ConfigError, check_integer


def _as_tuple(value):
    if value is None:
        return None
    if isinstance(value, (str, int)):
        return (value,)
    return tuple(value)


@dataclasses.dataclass(frozen=True)
class WindowSpec:
    """How a series is cut into `(x, y)` windows.

    Args:
        lookback: past rows the model sees per forecast.
        targets: the column(s) to forecast.
        horizon: future rows forecast at once.
        stride: rows between consecutive training windows.
        features: input columns; None means the targets themselves. Name extra
            columns here to use them as past covariates (seen over the lookback only).
        calendar: calendar fields derived from the timestamps and added as inputs
            ("hour", "dayofweek", "month", ... see `calendar.CALENDAR_FEATURES`).

    Example:
    >>> spec = WindowSpec(lookback=60, targets="Close", features=("Close", "Volume"))
    >>> spec.input_columns, spec.n_features, spec.n_targets
    (('Close', 'Volume'), 2, 1)
    >>> WindowSpec.from_dict(spec.to_dict()) == spec
    True
    """

    lookback: int
    targets: tuple
    horizon: int = 1
    stride: int = 1
    features: tuple | None = None
    calendar: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "targets", _as_tuple(self.targets))
        object.__setattr__(self, "features", _as_tuple(self.features))
        object.__setattr__(self, "calendar", _as_tuple(self.calendar) or ())
        for name in ("lookback", "horizon", "stride"):
            object.__setattr__(self, name, check_integer(getattr(self, name), name))
        if not self.targets:
            raise ConfigError("`targets` must name at least one column. Received: targets=()")
        if self.features is not None and not self.features:
            raise ConfigError("`features` must name at least one column, or be None for the targets.")
        for name in ("targets", "features", "calendar"):
            columns = getattr(self, name) or ()
            repeated = sorted({str(c) for c in columns if columns.count(c) > 1})
            if repeated:
                raise ConfigError(f"`{name}` names {repeated} more than once; name each column once. "
                                  f"Received: {name}={list(columns)!r}")
        unknown = [name for name in self.calendar if name not in CALENDAR_FEATURES]
        if unknown:
            raise ConfigError(
                f"Unknown calendar feature(s) {unknown}. Choose from {sorted(CALENDAR_FEATURES)}."
            )

    @property
    def input_columns(self):
        """The data columns fed to the model (calendar channels come after them)."""
        return self.features if self.features is not None else self.targets

    @property
    def data_columns(self):
        """Every data column used, inputs first, then targets that are not inputs."""
        return self.input_columns + tuple(c for c in self.targets if c not in self.input_columns)

    @property
    def input_channels(self):
        """Names of the model's input channels: data columns, then calendar sin/cos pairs."""
        return tuple(str(c) for c in self.input_columns) + tuple(calendar_columns(self.calendar))

    def check_columns(self, frame):
        """Raises a DataError unless `frame` holds the target and input columns, numeric (`data.check_columns`)."""
        check_columns(frame, self.targets, role="target")
        check_columns(frame, self.input_columns, role="feature")

    @property
    def n_features(self):
        return len(self.input_channels)

    @property
    def n_targets(self):
        return len(self.targets)

    @property
    def target_channels(self):
        """Input channel of each target, or None for a target that is not an input."""
        return tuple(
            self.input_columns.index(t) if t in self.input_columns else None for t in self.targets
        )

    def to_dict(self):
        return {
            "lookback": self.lookback,
            "targets": list(self.targets),
            "horizon": self.horizon,
            "stride": self.stride,
            "features": None if self.features is None else list(self.features),
            "calendar": list(self.calendar),
        }

    @classmethod
    def from_dict(cls, config):
        return cls(**config)
