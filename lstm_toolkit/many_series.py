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
splitting the data by id, the per-series scalers, one-series views and the
long frames with the id that `predict`/`backtest`/`evaluate` return.
"""

from __future__ import annotations

import copy
import numbers
import warnings

import numpy as np
import pandas as pd

from lstm_toolkit.data import SeriesCollection, WindowedSeries, as_frame, infer_frequency, season_length_for
from lstm_toolkit.errors import ConfigError, DataError


class ManySeriesMixin:
    """The Forecaster's methods for many series (mixed into `Forecaster`)."""

    def _is_global(self, data):
        return self.series_id is not None or isinstance(data, dict)

    def _static_feature_names(self):
        names = self.static_features
        return [] if not names else ([names] if isinstance(names, str) else list(names))

    def _check_context_params(self):
        dim = self.series_embedding
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 0:
            raise ConfigError(f"`series_embedding` must be an integer >= 0 (0: none). Received: {dim!r}")

    def _split_series(self, data, drop_static=True):
        """`{id: frame}` (as given, timestamps not parsed) from a dict of frames or a long DataFrame with `series_id`.

        The static feature columns are dropped unless `drop_static` is False.
        """
        if drop_static and self._static_feature_names():
            return {key: frame.drop(columns=self._static_feature_names(), errors="ignore")
                    for key, frame in self._split_series(data, drop_static=False).items()}
        if isinstance(data, dict):
            if not data:
                raise DataError("The dict of series is empty.")
            return dict(data)
        if self.series_id is None:
            raise DataError("This Forecaster was fit on many series: pass a dict of frames, or set `series_id`.")
        if not isinstance(data, pd.DataFrame) or self.series_id not in data.columns:
            columns = list(data.columns) if isinstance(data, pd.DataFrame) else type(data).__name__
            raise DataError(f"series_id={self.series_id!r} is not a column of the data ({columns}).")
        if data[self.series_id].isna().any():
            raise DataError(f"{int(data[self.series_id].isna().sum())} row(s) have no {self.series_id!r}. Fill or drop them.")
        return {key: rows.drop(columns=[self.series_id]) for key, rows in data.groupby(self.series_id, sort=False)}

    def _static_values(self, key, frame):
        """The static features of one series (a float vector), checked to be numeric, finite and constant."""
        names = self._static_feature_names()
        missing = [c for c in names if c not in frame.columns]
        if missing:
            raise DataError(f"Series {key!r} lacks the static feature column(s) {missing}. Columns: {list(frame.columns)}.")
        values = []
        for name in names:
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

    def _prepare_many(self, data, validation=None):
        """`_prepare` for many series: one spec, a scaler and a split per series, one `SeriesCollection`."""
        if self.stateful:
            raise ConfigError("A stateful model carries one series' state; fit many series with stateful=False.")
        self._check_context_params()
        static_names = self._static_feature_names()
        frames, static = {}, {}
        for key, frame in self._split_series(data, drop_static=False).items():
            frame = as_frame(frame, time_col=self.time_col)
            if static_names:
                static[key] = self._static_values(key, frame)
            frames[key] = frame.drop(columns=static_names)
        validation = self.validation if validation is None else validation
        self.spec_ = self._make_spec(next(iter(frames.values())))
        members, self.skipped_series_ = {}, {}
        for key, frame in frames.items():
            try:
                members[key] = WindowedSeries.from_frame(
                    frame, self.spec_, validation=validation, scaler=self.scaler, fill=self.fill
                )
            except DataError as error:
                self.skipped_series_[key] = str(error)
        if self.skipped_series_:
            warnings.warn(
                f"{len(self.skipped_series_)} of {len(frames)} series were left out of training "
                f"({list(self.skipped_series_)[:10]}): {next(iter(self.skipped_series_.values()))} "
                "See `skipped_series_` for each reason.",
                UserWarning,
                stacklevel=3,
            )
        if not members:
            raise DataError(f"No series is long enough to train on: {next(iter(self.skipped_series_.values()))}")
        self.series_codes_ = {key: code for code, key in enumerate(members)} if self.series_embedding else None
        self.static_ = None
        if static_names:
            trained = np.stack([static[key] for key in members])
            mean, std = trained.mean(axis=0), trained.std(axis=0)
            self.static_ = {
                "mean": mean.tolist(),
                "std": np.where(std > 0, std, 1.0).tolist(),
                "values": {key: static[key].tolist() for key in members},
            }
        collection = SeriesCollection(members, context={key: self._context_of(key) for key in members})
        first = next(iter(members))
        self.scalers_ = {key: member.scaler for key, member in members.items()}
        self.fit_ends_ = {key: frames[key].index[-1] for key in members}
        self.scaler_, self.fit_end_ = self.scalers_[first], self.fit_ends_[first]
        self.freq_ = infer_frequency(frames[first].index)
        self.season_length_ = self.season_length or season_length_for(self.freq_)
        self.model_config_ = self._resolve_model_config(collection)
        self.norm_scales_ = self._norm_scales(collection)
        self.n_train_windows_ = collection.n_windows("train")
        return collection

    # --- the model's view of which series a window belongs to -------------------------------

    def context_shapes(self):
        """`[(shape, dtype), ...]` of the model's context inputs: the series code, the static features.

        Empty for a model that reads only windows (one series, or many without
        `series_embedding` / `static_features`).
        """
        shapes = []
        if getattr(self, "series_codes_", None):
            shapes.append(((1,), "int32"))
        if getattr(self, "static_", None):
            shapes.append(((len(self.static_["mean"]),), "float32"))
        return shapes

    def _context_of(self, key):
        """The context input rows of series `key`: `[code (1,) int32, static (k,) float32]` (those in use)."""
        context = []
        if getattr(self, "series_codes_", None):
            context.append(np.array([self.series_codes_[key]], dtype="int32"))
        if getattr(self, "static_", None):
            raw = np.asarray(self.static_["values"][key])
            context.append(((raw - self.static_["mean"]) / np.asarray(self.static_["std"])).astype("float32"))
        return context

    def _context_inputs(self, n):
        """The context inputs for `n` windows of this (one-series) view, or [] when the model has none."""
        if not self.context_shapes():
            return []
        context = getattr(self, "_context", None)
        if context is None:
            raise ConfigError("This model reads which series it forecasts: forecast through fc.for_series(id).")
        return [np.repeat(row[None], n, axis=0) for row in context]

    # --- one-series views and per-series results -----------------------------------------------

    def for_series(self, key):
        """A one-series view of a global Forecaster: the shared model with that series' scaler.

        It predicts, backtests, streams and exports like a Forecaster fit on that series alone
        (a model with a series embedding or static features does not export yet).
        """
        self._check_fitted()
        scalers = getattr(self, "scalers_", None)
        if scalers is None:
            raise ConfigError("for_series needs a Forecaster fit on many series (series_id= or a dict of frames).")
        if key not in scalers:
            raise DataError(f"Series {key!r} was not trained on (no scaler for it). Known series: {list(scalers)[:20]}.")
        self._compiled_model()  # compiled once here, so every view shares it
        view = copy.copy(self)
        view.series_id, view.scalers_, view.fit_ends_ = None, None, None
        view.scaler_, view.fit_end_ = scalers[key], self.fit_ends_[key]
        view._context = self._context_of(key)
        return view

    def _per_series(self, data, method, *args, **kwargs):
        """Runs `method` of each series' view on its part of `data`; returns `{id: result}`."""
        return {key: getattr(self.for_series(key), method)(frame, *args, **kwargs)
                for key, frame in self._split_series(data).items()}

    def _is_global_fit(self):
        return getattr(self, "scalers_", None) is not None

    def _with_id(self, results):
        """Per-series frames joined into one long frame whose first column is the series id."""
        return pd.concat(results, names=[self.series_id or "series"]).reset_index(level=0)

    def _many_series_state(self):
        """The fitted many-series state, JSON-safe (lists of pairs keep the ids' types)."""
        state = {
            "scalers": [[key, scaler.to_dict()] for key, scaler in self.scalers_.items()],
            "skipped_series": [[key, reason] for key, reason in self.skipped_series_.items()],
        }
        if self.series_codes_:
            state["series_codes"] = [[key, code] for key, code in self.series_codes_.items()]
        if self.static_:
            state["static"] = {**self.static_, "values": [[key, v] for key, v in self.static_["values"].items()]}
        return state

    def _set_many_series_state(self, state, scaler_from_dict):
        self.scalers_ = {key: scaler_from_dict(value) for key, value in state["scalers"]}
        self.skipped_series_ = dict(state.get("skipped_series", []))
        self.series_codes_ = {key: code for key, code in state["series_codes"]} if "series_codes" in state else None
        self.static_ = None
        if "static" in state:
            self.static_ = {**state["static"], "values": {key: v for key, v in state["static"]["values"]}}
