"""Data module: checked pandas/numpy series in, time-ordered windowed tf.data out."""

from lstm_toolkit.data.calendar import CALENDAR_FEATURES, calendar_columns, calendar_features
from lstm_toolkit.data.frame import as_frame, check_columns, fill_missing, future_index, infer_frequency, season_length_for
from lstm_toolkit.data.normalization import (
    WINDOW_NORMS,
    LastValueResidual,
    WindowDenormalization,
    WindowNormalization,
    window_norm_scales,
)
from lstm_toolkit.data.scaling import SCALERS, Scaler
from lstm_toolkit.data.series import SeriesCollection, WindowedSeries
from lstm_toolkit.data.spec import WindowSpec
from lstm_toolkit.data.split import split_points
from lstm_toolkit.data.windows import frame_windows, input_windows, make_window_dataset, window_starts

__all__ = [
    "CALENDAR_FEATURES",
    "SCALERS",
    "LastValueResidual",
    "WINDOW_NORMS",
    "Scaler",
    "SeriesCollection",
    "WindowDenormalization",
    "WindowNormalization",
    "WindowSpec",
    "WindowedSeries",
    "as_frame",
    "calendar_columns",
    "calendar_features",
    "check_columns",
    "fill_missing",
    "frame_windows",
    "future_index",
    "infer_frequency",
    "input_windows",
    "make_window_dataset",
    "season_length_for",
    "split_points",
    "window_norm_scales",
    "window_starts",
]
