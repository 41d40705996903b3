"""Grids over time (video, radar, heat maps): `FrameForecaster`, next-frame forecasts with ConvLSTM (`frames.forecaster`)."""

from lstm_toolkit.frames.forecaster import FrameForecaster

__all__ = ["FrameForecaster"]
