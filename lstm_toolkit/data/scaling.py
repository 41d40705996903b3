"""Scikit-learn scalers fit on the training rows only, stored as plain numbers."""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from lstm_toolkit.errors import ConfigError, DataError

SCALERS = {
    "standard": (StandardScaler, ("mean_", "var_", "scale_", "n_samples_seen_")),
    "minmax": (MinMaxScaler, ("min_", "scale_", "data_min_", "data_max_", "data_range_", "n_samples_seen_")),
    # scikit-learn's StandardScaler for the mean, its scale replaced by the mean absolute one-step change (below)
    "naive": (StandardScaler, ("mean_", "var_", "scale_", "n_samples_seen_")),
    "none": (None, ()),
}


class Scaler:
    """A column-wise scaler (scikit-learn's) that is fit once, on training rows.

    Args:
        kind: "standard" (zero mean, unit variance), "minmax" (to [0, 1]),
            "naive" (zero mean, divided by the mean absolute change from one
            row to the next: the in-sample error of the naive forecast, the
            denominator of MASE; a model of many series trained on it weighs
            each series' errors as MASE does, whatever its level or trend) or
            "none".
        columns: names of the columns, in order; `inverse_transform` can undo
            the scaling for any subset of them.

    Example:
    >>> scaler = Scaler("minmax", columns=["a", "b"]).fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> scaler.transform(np.array([[1.0, 20.0]])).tolist()
    [[0.5, 0.5]]
    >>> scaler.inverse_transform(np.array([[0.5]]), columns=["b"]).tolist()
    [[20.0]]
    """

    def __init__(self, kind="standard", columns=()):
        if kind not in SCALERS:
            raise ConfigError(f"`scaler` must be one of {list(SCALERS)}. Received: scaler={kind!r}")
        self.kind = kind
        self.columns = tuple(columns)
        factory = SCALERS[kind][0]
        self.estimator_ = factory() if factory else FunctionTransformer()
        self.data_min_ = None  # each column's smallest training value (None: a scaler saved before it was kept)

    def fit(self, values, constant_ok=()):
        """Fits on `values` (rows, columns): the training rows and nothing else.

        Columns named in `constant_ok` may be constant; any other constant
        column is refused, since a scaler would divide by its zero range.
        """
        values = np.asarray(values, dtype="float64")
        if not len(values):
            raise DataError("There are no training rows to fit the scaler on: give more data, or a smaller "
                            "validation part.")
        if self.kind != "none":
            spread = values.max(axis=0) - values.min(axis=0)
            for position, column in enumerate(self.columns):
                if spread[position] == 0 and column not in constant_ok:
                    raise DataError(
                        f"Column {column!r} is constant ({values[0, position]:g}) over the "
                        f"{len(values)} training rows, so the {self.kind!r} scaler would divide by "
                        "zero. Use scaler='none', drop the column, or train on a longer stretch."
                    )
        with _checked():
            self.estimator_.fit(values)
        self.data_min_ = values.min(axis=0)
        if self.kind == "naive":
            step = np.abs(np.diff(values, axis=0)).mean(axis=0) if len(values) > 1 else np.zeros(values.shape[1])
            self.estimator_.scale_ = np.where(step > 0, step, 1.0)  # a constant column: as StandardScaler, 1
        return self

    def transform(self, values):
        """Scales `values` (rows, columns) with the fitted scikit-learn scaler's own parameters and arithmetic."""
        values = np.asarray(values, dtype="float64")
        estimator = self.estimator_
        # The same operations as `estimator.transform`, in the same order (so the same bits), without its
        # per-call input checks, which dominate with a scaler per series (10,000 series: `benchmarks/panel.py`).
        if self.kind in ("standard", "naive"):
            return (values - estimator.mean_) / estimator.scale_
        if self.kind == "minmax":
            return values * estimator.scale_ + estimator.min_
        return values.copy()

    def inverse_transform(self, values, columns=None):
        """Undoes the scaling of `values`, whose last axis holds `columns` (default: all)."""
        values = np.asarray(values, dtype="float64")
        columns = self.columns if columns is None else tuple(columns)
        positions = [self.columns.index(column) for column in columns]
        estimator = self.estimator_
        if self.kind in ("standard", "naive"):  # as `estimator.inverse_transform`, for the columns asked for
            return values * estimator.scale_[positions] + estimator.mean_[positions]
        if self.kind == "minmax":
            return (values - estimator.min_[positions]) / estimator.scale_[positions]
        return values.copy()

    def coefficients(self, columns=None):
        """The fitted scaling as `scaled = values * multiplier + offset`, per column.

        Every scaler kind is affine per column, so streaming and exported
        models apply it with two vectors and no scikit-learn.

        Returns:
            `(multiplier, offset)`, float64 arrays over `columns` (default: all).

        Example:
        >>> scaler = Scaler("standard", columns=["a"]).fit(np.array([[1.0], [3.0]]))
        >>> [values.tolist() for values in scaler.coefficients()]
        [[1.0], [-2.0]]
        """
        columns = self.columns if columns is None else tuple(columns)
        positions = [self.columns.index(column) for column in columns]
        estimator = self.estimator_
        if self.kind in ("standard", "naive"):
            multiplier, offset = 1.0 / estimator.scale_, -estimator.mean_ / estimator.scale_
        elif self.kind == "minmax":
            multiplier, offset = estimator.scale_, estimator.min_
        else:
            multiplier, offset = np.ones(len(self.columns)), np.zeros(len(self.columns))
        return np.asarray(multiplier, dtype="float64")[positions], np.asarray(offset, dtype="float64")[positions]

    def minimum(self, columns=None):
        """Each of `columns`' (default: all) smallest training value, or None for a scaler saved before it was kept.

        >>> Scaler("standard", columns=["a", "b"]).fit(np.array([[1.0, -2.0], [3.0, 5.0]])).minimum(["b"]).tolist()
        [-2.0]
        """
        if self.data_min_ is None:
            return None
        columns = self.columns if columns is None else tuple(columns)
        return np.asarray(self.data_min_, dtype="float64")[[self.columns.index(column) for column in columns]]

    def to_dict(self):
        """The fitted parameters as JSON-safe numbers."""
        params = {
            name: np.asarray(getattr(self.estimator_, name)).tolist() for name in SCALERS[self.kind][1]
        }
        saved = {"kind": self.kind, "columns": list(self.columns), "params": params}
        if self.data_min_ is not None:
            saved["data_min"] = np.asarray(self.data_min_, dtype="float64").tolist()
        return saved

    @classmethod
    def from_dict(cls, config):
        scaler = cls(config["kind"], columns=config["columns"])
        for name, value in config["params"].items():
            setattr(scaler.estimator_, name, np.asarray(value, dtype="float64") if isinstance(value, list) else value)
        n_columns = len(scaler.columns)
        scaler.estimator_.n_features_in_ = n_columns
        if config["kind"] == "none":
            scaler.estimator_.fit(np.zeros((1, n_columns)))
        if "data_min" in config:
            scaler.data_min_ = np.asarray(config["data_min"], dtype="float64")
        return scaler


def _checked():
    """scikit-learn without its per-call input checks: the values reaching a `Scaler` are checked finite already.

    With many series (a scaler each) those checks were a third of the time of preparing the data.
    """
    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)
