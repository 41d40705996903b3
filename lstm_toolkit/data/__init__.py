"""Data module: checked pandas/numpy series in, time-ordered windowed tf.data out."""

from lstm_toolkit.data.frame import as_frame, check_columns, check_time_order, fill_missing
from lstm_toolkit.data.frequency import (
    check_frequency,
    future_index,
    infer_frequency,
    integer_step,
    irregular_steps,
    missing_steps,
    nearest_frequency,
    season_length_for,
)
from lstm_toolkit.data.panel import PanelData, read_panel
from lstm_toolkit.data.scaling import SCALERS, Scaler
from lstm_toolkit.data.series import SeriesCollection, WindowedSeries
from lstm_toolkit.data.spec import WindowSpec
from lstm_toolkit.data.split import split_points
from lstm_toolkit.data.time_features import CALENDAR_FEATURES, calendar_columns, calendar_features
from lstm_toolkit.data.windows import frame_windows, input_windows, make_window_dataset, window_starts
from lstm_toolkit.data.clock import TimeForm, naive_timestamp, wall_clock

__all__ = [
    "PanelData",
    "read_panel",
    "CALENDAR_FEATURES",
    "SCALERS",
    "Scaler",
    "SeriesCollection",
    "WindowSpec",
    "WindowedSeries",
    "as_frame",
    "calendar_columns",
    "calendar_features",
    "check_columns",
    "check_time_order",
    "check_frequency",
    "fill_missing",
    "frame_windows",
    "future_index",
    "infer_frequency",
    "integer_step",
    "irregular_steps",
    "missing_steps",
    "nearest_frequency",
    "input_windows",
    "make_window_dataset",
    "season_length_for",
    "split_points",
    "TimeForm",
    "naive_timestamp",
    "wall_clock",
    "window_starts",
]

# The window normalisation is a part of the model (its layers, and the scales fit for them), so it
# moved to `lstm_toolkit.models`; the old names still resolve here, with a warning, for one release.
_MOVED_TO_MODELS = ("WINDOW_NORMS", "LastValueResidual", "WindowDenormalization", "WindowNormalization", "window_norm_scales")


def __getattr__(name):
    if name in _MOVED_TO_MODELS:
        import importlib
        import warnings

        warnings.warn(
            f"lstm_toolkit.data.{name} moved to lstm_toolkit.models.{name}; the old name goes in the next release.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module("lstm_toolkit.models"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
