import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def hourly_frame():
    """A small hourly series with a daily cycle and a trend (synthetic, for shape checks)."""
    index = pd.date_range("2024-01-01", periods=400, freq="h")
    steps = np.arange(400)
    values = 10 + 0.01 * steps + np.sin(2 * np.pi * steps / 24)
    return pd.DataFrame({"y": values, "x": np.cos(steps / 7.0)}, index=index)


@pytest.fixture
def counting_frame():
    """A series whose value is its row number: windows reveal exactly which rows they read."""
    return pd.DataFrame({"y": np.arange(300, dtype="float64")})


@pytest.fixture(scope="session")
def seattle():
    from lstm_toolkit.datasets import load

    return load("seattle_hourly_temperature")
