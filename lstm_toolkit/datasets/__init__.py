"""Real series shipped with the package (see README.md here for sources and caveats)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from lstm_toolkit.datasets.moving_digits import moving_digits
from lstm_toolkit.datasets.panel import synthetic_panel
from lstm_toolkit.datasets.speaker_turns import speaker_turns
from lstm_toolkit.errors import DataError

__all__ = ["DATASETS", "list_datasets", "load", "moving_digits", "speaker_turns", "synthetic_panel"]

# name -> (file, time column); None: no timestamps (sequence sets, sample-indexed signals)
DATASETS = {
    "seattle_hourly_temperature": ("seattle_hourly_temperature.csv", "date"),
    "msft_daily_ohlcv": ("msft_daily_ohlcv.csv", "Date"),
    "euro_electrical_equipment_monthly": ("euro_electrical_equipment_monthly.csv", "month"),
    "us_employment_monthly": ("us_employment_monthly.csv", "month"),
    "seattle_daily_weather": ("seattle_daily_weather.csv", "date"),
    "japanese_vowels": ("japanese_vowels.csv", None),
    "ecg_mitdb_labeled": ("ecg_mitdb_labeled.csv", None),
    "yahoo_anomaly_labeled": ("yahoo_anomaly_labeled.csv", None),
}

# Datasets whose source skips steps of its frequency, and that frequency: `load` fills the missing steps by
# interpolation. The Seattle hourly normals are stamped in local time and lack one hour at the spring change of
# clocks (2010-03-14 03:00).
FILLED_STEPS = {"seattle_hourly_temperature": "h"}


def list_datasets():
    """Names of the shipped datasets.

    Example:
    >>> "seattle_hourly_temperature" in list_datasets()
    True
    """
    return sorted(DATASETS)


def load(name):
    """Loads a shipped dataset as a DataFrame indexed by its timestamps (a row index where it has none).

    Nothing is downloaded: the CSV files are inside the package.

    Example:
    >>> df = load("seattle_hourly_temperature")
    >>> df.shape, df.index.freq
    ((8760, 1), <Hour>)
    >>> load("ecg_mitdb_labeled").columns.tolist()
    ['data', 'label']
    """
    if name not in DATASETS:
        raise DataError(f"Unknown dataset {name!r}. Available: {list_datasets()}.")
    filename, time_col = DATASETS[name]
    with resources.files(__name__).joinpath(filename).open("r") as handle:
        frame = pd.read_csv(handle, parse_dates=[time_col] if time_col else False)
    if not time_col:
        return frame
    frame = frame.set_index(time_col)
    if name in FILLED_STEPS:  # a regular index, as the Forecaster wants (`MissingTimestampsWarning`)
        frame = frame.asfreq(FILLED_STEPS[name]).interpolate("time")
    return frame
