"""Matplotlib figures, headless-safe: forecasts, fans and backtest errors (`forecasts`), training and search
(`learning`), inside a network (`inside`), and sequence tasks (`sequences`). Every function returns a Figure
(save it with `figure.savefig("forecast.png")`) and names what to pass when given something else."""

from lstm_toolkit.plotting.forecasts import plot_backtest, plot_errors_by_step, plot_fan, plot_forecast
from lstm_toolkit.plotting.inside import plot_attention, plot_cell_state, plot_forget_per_unit, plot_gates
from lstm_toolkit.plotting.learning import plot_history, plot_tuning
from lstm_toolkit.plotting.sequences import plot_anomalies, plot_frames, plot_segments

__all__ = [
    "plot_anomalies",
    "plot_attention",
    "plot_backtest",
    "plot_cell_state",
    "plot_errors_by_step",
    "plot_fan",
    "plot_forecast",
    "plot_forget_per_unit",
    "plot_frames",
    "plot_gates",
    "plot_history",
    "plot_segments",
    "plot_tuning",
]
