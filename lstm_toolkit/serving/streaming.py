"""Streaming inference: one new observation in, the next `horizon` forecasts out.

Two kinds of streamer share one interface (`update`, `reset`):

- `WindowStreamer`, for models trained on windows (the default Forecaster):
  keeps a ring buffer of the last `lookback` rows and runs the window model
  on it. Each update costs one window pass; its forecasts equal
  `Forecaster.predict` on the same history.
- `StateStreamer`, for models trained with carried state
  (`Forecaster(stateful=True)`): keeps the recurrent state and advances it by
  one step per update, so each update costs the same whatever the history
  length. Its forecasts equal one pass of the model over the whole history.

Both scale each row with the scaler fit on the training part and return
forecasts in original units. One streamer can carry several independent
streams (e.g. 8 sensors) batched together: pass `n_streams`. This module needs
NumPy only (plus the LiteRT runtime for `load_litert`), so it runs on devices
without TensorFlow; calendar features additionally need pandas.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Mapping

import numpy as np

from lstm_toolkit.data.frame import first_non_finite
from lstm_toolkit.errors import ConfigError, DataError, check_integer

SIDECAR_SUFFIX = ".json"


def floor_of(scaling):
    """Each target's lower bound (`ForecastProblem.target_floor`: 0, or -inf for none) from a `scaling()` dict;
    a sidecar or model saved before it had none."""
    floors = scaling.get("target_floor") or [None] * len(scaling["target_multiplier"])
    return np.array([-np.inf if floor is None else floor for floor in floors], dtype="float64")


class _Streamer:
    """Row checking, scaling, calendar channels and the stream bookkeeping of both streamers."""

    def __init__(self, spec, scaling, n_streams=None, freq=None):
        self.input_columns = tuple(spec["input_columns"])
        self.targets = tuple(spec["targets"])
        self.calendar = tuple(spec.get("calendar", ()))
        self.lookback = int(spec["lookback"])
        self.horizon = int(spec["horizon"])
        self.freq = freq
        n_streams = check_integer(n_streams, "n_streams", allowed=(None,), also=" or None")
        self.n_streams = n_streams
        self._batch = 1 if n_streams is None else int(n_streams)
        self._in_mul = np.asarray(scaling["input_multiplier"], dtype="float64")
        self._in_add = np.asarray(scaling["input_offset"], dtype="float64")
        self._out_mul = np.asarray(scaling["target_multiplier"], dtype="float64")
        self._out_add = np.asarray(scaling["target_offset"], dtype="float64")
        self._floor = floor_of(scaling)
        self.n_seen = np.zeros(self._batch, dtype="int64")

    # --- public -----------------------------------------------------------------

    def update(self, row, timestamp=None):
        """Feeds the next observation and returns the forecast of the `horizon` steps after it.

        Args:
            row: the new values of the input columns: a number (one input
                column), a mapping from column name to value, or a 1-D array in
                `input_columns` order. With `n_streams`, a 2-D array
                `(n_streams, n_inputs)` (or 1-D `(n_streams,)` for one input
                column), a DataFrame with one row per stream, or a list of mappings.
            timestamp: the row's time; required when the model uses calendar features.

        Returns:
            `(horizon, n_targets)` in original units (None while the streamer is
            still warming up, see the class docs); with `n_streams`,
            `(n_streams, horizon, n_targets)` with NaN rows for streams still
            warming up. A row that is refused (wrong length, NaN) leaves every
            stream unchanged.
        """
        values = self._parse(row)
        scaled = values * self._in_mul + self._in_add
        if self.calendar:
            scaled = np.concatenate([scaled, self._calendar_row(timestamp)], axis=1)
        forecast = np.maximum((self._advance(scaled, timestamp) - self._out_add) / self._out_mul, self._floor)
        self.n_seen += 1
        if self.n_streams is None:
            return forecast[0] if self.n_seen[0] >= self._min_seen else None
        forecast[self.n_seen < self._min_seen] = np.nan
        return forecast

    def reset(self, stream=None):
        """Starts a new, unrelated sequence: state zeroed and buffers emptied.

        Args:
            stream: with `n_streams`, the stream to reset (default: all of them).
        """
        rows = slice(None) if stream is None else self._stream_index(stream)
        self.n_seen[rows] = 0
        self._clear(rows)

    # --- helpers ----------------------------------------------------------------

    def _stream_index(self, stream):
        if isinstance(stream, bool) or not isinstance(stream, numbers.Integral) or not 0 <= stream < self._batch:
            raise ConfigError(f"`stream` must be an integer in [0, {self._batch}). Received: stream={stream!r}")
        return int(stream)

    def _parse(self, row):
        n_inputs = len(self.input_columns)
        if self._batch == 1 and n_inputs == 1 and isinstance(row, (float, int)) and math.isfinite(row):
            return np.array([[row]], dtype="float64")  # the common case, fast
        if self.n_streams is None:
            values = self._parse_one(row)[None, :]
        elif hasattr(row, "columns"):  # a DataFrame, one row per stream
            missing = [c for c in self.input_columns if c not in row.columns]
            if missing:
                raise DataError(f"The rows lack the input column(s) {missing}; they need {list(self.input_columns)}.")
            values = row[list(self.input_columns)].to_numpy(dtype="float64")
        elif isinstance(row, (list, tuple)) and row and isinstance(row[0], Mapping):
            values = np.stack([self._parse_one(r, stream) for stream, r in enumerate(row)])
        else:
            values = _as_floats(row, self.input_columns)
            if values.ndim == 1 and n_inputs == 1:
                values = values[:, None]
        if values.shape != (self._batch, n_inputs):
            raise DataError(
                f"Expected one row of {n_inputs} input value(s) {list(self.input_columns)} per stream, "
                f"i.e. shape ({self._batch}, {n_inputs}); received shape {values.shape}."
            )
        missing = first_non_finite(values)
        if missing:
            stream, column = missing[1]
            where = f" of stream {stream}" if self.n_streams is not None else ""
            raise DataError(
                f"The new value of {self.input_columns[column]!r}{where} is {values[stream, column]}. "
                "A streamer cannot skip a step: impute the value (e.g. repeat the last one) before "
                "`update`, or `reset` the stream and start again."
            )
        return values

    def _parse_one(self, row, stream=None):
        n_inputs = len(self.input_columns)
        if isinstance(row, Mapping):
            missing = [c for c in self.input_columns if c not in row]
            if missing:
                of = "" if stream is None else f" of stream {stream}"
                raise DataError(f"The row{of} lacks the input column(s) {missing}; it needs {list(self.input_columns)}.")
            return _as_floats([row[c] for c in self.input_columns], self.input_columns)
        if isinstance(row, numbers.Real):
            if n_inputs != 1:
                raise DataError(
                    f"A single number was given but the model has {n_inputs} input columns "
                    f"{list(self.input_columns)}: pass a mapping or a 1-D array of {n_inputs} values."
                )
            return np.array([row], dtype="float64")
        values = _as_floats(row, self.input_columns).ravel() if np.ndim(row) <= 1 else None
        if values is None or len(values) != n_inputs:
            raise DataError(
                f"The row must hold the {n_inputs} input column(s) {list(self.input_columns)}; "
                f"received {np.shape(row)}."
            )
        return values

    def _calendar_row(self, timestamp):
        if timestamp is None:
            raise DataError(
                f"The model uses calendar features {list(self.calendar)}, so `update` needs the row's "
                "`timestamp=`."
            )
        import pandas as pd

        from lstm_toolkit.data.time_features import calendar_features

        index = pd.DatetimeIndex([pd.Timestamp(timestamp)])
        return np.repeat(calendar_features(index, self.calendar), self._batch, axis=0)

    def _future_times(self, timestamp):
        if timestamp is None:
            return None
        import pandas as pd

        from lstm_toolkit.data.frequency import future_index

        future = future_index(pd.DatetimeIndex([pd.Timestamp(timestamp)]), self.freq, self.horizon)
        return np.repeat(np.asarray(future)[None, :], self._batch, axis=0)


def _as_floats(values, columns):
    try:
        return np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise DataError(
            f"The row must hold numbers for the input column(s) {list(columns)}; received {values!r}."
        ) from None


class WindowStreamer(_Streamer):
    """Streams a window-trained model through a ring buffer of the last `lookback` rows.

    Each `update` writes the new scaled row into the buffer (O(1)) and runs the
    window model once on the last `lookback` rows, so its forecast equals
    `Forecaster.predict` on the same history. Until `lookback` rows have
    arrived, `update` returns None (NaN rows with `n_streams`).

    Build it with `Forecaster.streamer()` or `load_litert`.

    Args:
        forecast_fn: maps scaled windows `(n, lookback, n_features)` float32
            (and the future timestamps, or None) to scaled forecasts
            `(n, horizon, n_targets)`.
        spec: dict with lookback, horizon, input_columns, targets, calendar.
        scaling: dict of input/target multipliers and offsets (see `Scaler.coefficients`).
        n_streams: None for one stream, or how many independent streams.
        freq: the series frequency.
        future_times: pass `forecast_fn` the timestamps of the forecast steps
            (a recursive model with calendar features needs them; they come
            from each update's `timestamp` and `freq`).
    """

    def __init__(self, forecast_fn, spec, scaling, n_streams=None, freq=None, future_times=False):
        super().__init__(spec, scaling, n_streams=n_streams, freq=freq)
        self._forecast_fn = forecast_fn
        self._needs_future_times = future_times
        self._min_seen = self.lookback
        n_features = len(self.input_columns) + 2 * len(self.calendar)
        self._buffer = np.zeros((self._batch, 2 * self.lookback, n_features), dtype="float32")
        self._position = 0

    def _advance(self, scaled, timestamp):
        position = self._position
        self._buffer[:, position] = scaled
        self._buffer[:, position + self.lookback] = scaled
        self._position = (position + 1) % self.lookback
        window = self._buffer[:, self._position : self._position + self.lookback]
        future = self._future_times(timestamp) if self._needs_future_times else None
        return self._forecast_fn(window, future)

    def _clear(self, rows):
        self._buffer[rows] = 0.0


class StateStreamer(_Streamer):
    """Streams a model that carries its recurrent state: O(1) work per update.

    Each `update` advances the state by one step and returns that step's
    forecast. It returns forecasts from the first update on; the first
    `warmup` of them come from a state that has seen little history (the
    model was trained from zero states too, but on longer stretches). The
    outputs equal one pass of the sequence model over the same rows.

    Build it with `Forecaster.streamer()` (a stateful Forecaster) or `load_litert`.

    Args:
        step_fn: `(scaled rows (n, n_features), states) -> (forecast (n, horizon, n_targets), states)`.
        state_sizes: width of each state array.
        spec, scaling, n_streams, freq: as for `WindowStreamer`.
        dtype: dtype of the state arrays.
        warmup: updates before the forecasts count as warmed up (documentation
            only: `update` never withholds them).
    """

    def __init__(self, step_fn, state_sizes, spec, scaling, n_streams=None, freq=None, dtype="float64", warmup=0):
        super().__init__(spec, scaling, n_streams=n_streams, freq=freq)
        self.step_fn = step_fn  # the raw step, in scaled units (a benchmark times it alone)
        self._dtype = dtype
        self._min_seen = 0
        self.warmup = int(warmup)
        self.states = [np.zeros((self._batch, size), dtype=dtype) for size in state_sizes]

    def _advance(self, scaled, timestamp):
        forecast, self.states = self.step_fn(scaled.astype(self._dtype), self.states)
        return forecast

    def _clear(self, rows):
        for state in self.states:
            state[rows] = 0.0


# --- LiteRT ---------------------------------------------------------------------


def load_litert(path, n_streams=None, num_threads=1):
    """A streamer that runs an exported `.tflite` file with the LiteRT interpreter.

    Needs `ai-edge-litert` (`pip install lstm_toolkit[litert]`) and NumPy; no
    TensorFlow. The JSON sidecar written next to the file by
    `Forecaster.export(path, format="litert")` gives the window spec and scaling.

    Args:
        path: the `.tflite` file.
        n_streams: as for the streamers (the exported model has batch 1; the
            streams run one after the other).
        num_threads: interpreter threads.

    Returns:
        A `StateStreamer` (stateful model) or `WindowStreamer` (window model).
    """
    sidecar = read_sidecar(path)
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Running a .tflite file needs the LiteRT runtime: pip install ai-edge-litert "
            "(or lstm_toolkit[litert])."
        ) from error
    interpreter = Interpreter(model_path=os.fspath(path), num_threads=num_threads)
    if sidecar["kind"] == "stateful":
        model = _LiteRTModel(interpreter, sidecar["signature"], ["x", *sidecar["state_names"]], ["forecast", *sidecar["state_names"]])
    else:
        model = _LiteRTModel(interpreter, sidecar["signature"], ["window"], ["forecast"])
    spec, scaling = sidecar["spec"], sidecar["scaling"]
    if sidecar["kind"] == "stateful":

        def step_fn(rows, states):
            if len(rows) == 1:  # one stream: states pass straight through
                forecast, *states = model([rows, *states])
                return forecast, states
            forecasts = np.empty((len(rows), spec["horizon"], len(spec["targets"])), dtype="float32")
            for stream in range(len(rows)):
                forecast, *new_states = model([rows[stream : stream + 1], *[s[stream : stream + 1] for s in states]])
                forecasts[stream] = forecast[0]
                for state, new_state in zip(states, new_states):
                    state[stream] = new_state[0]
            return forecasts, states

        return StateStreamer(step_fn, sidecar["state_sizes"], spec, scaling, n_streams=n_streams, dtype="float32")

    def forecast_fn(windows, future_times):
        return np.stack([model([windows[i : i + 1]])[0][0] for i in range(len(windows))])

    return WindowStreamer(forecast_fn, spec, scaling, n_streams=n_streams)


class _LiteRTModel:
    """Calls one signature of a LiteRT interpreter by tensor index (less overhead than a signature runner).

    Args:
        interpreter: the LiteRT `Interpreter`.
        signature: the signature's key.
        inputs, outputs: the signature's input and output names, in the order
            `__call__` takes and returns them.
    """

    def __init__(self, interpreter, signature, inputs, outputs):
        interpreter.allocate_tensors()
        runner = interpreter.get_signature_runner(signature)
        input_details, output_details = runner.get_input_details(), runner.get_output_details()
        self._interpreter = interpreter
        self._inputs = [input_details[name]["index"] for name in inputs]
        self._outputs = [output_details[name]["index"] for name in outputs]

    def __call__(self, arrays):
        interpreter = self._interpreter
        for index, values in zip(self._inputs, arrays):
            interpreter.set_tensor(index, values)
        interpreter.invoke()
        return [interpreter.get_tensor(index) for index in self._outputs]


def sidecar_path(path):
    """The JSON sidecar of an exported model file: `model.tflite` -> `model.json`."""
    root, _ = os.path.splitext(os.fspath(path))
    return root + SIDECAR_SUFFIX


def read_sidecar(path):
    """Reads and checks the sidecar of an exported model; clear errors when missing or corrupt."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataError(f"No exported model at {path!r}. Export one with `Forecaster.export(path, format='litert')`.")
    side = sidecar_path(path)
    try:
        with open(side, encoding="utf-8") as handle:
            sidecar = json.load(handle)
    except FileNotFoundError:
        raise DataError(
            f"The exported model {path!r} has no sidecar {side!r} (its window spec and scaling). "
            "Copy the .json written next to the .tflite along with it, or export again."
        ) from None
    except json.JSONDecodeError as error:
        raise DataError(f"The sidecar {side!r} is not valid JSON ({error}); export the model again.") from None
    if sidecar.get("format") != "lstm_toolkit.litert":
        raise DataError(f"{side!r} is not an lstm_toolkit export sidecar (format={sidecar.get('format')!r}).")
    return sidecar

