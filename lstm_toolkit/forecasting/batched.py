"""Forecasts for many series in one pass over the model: what a nightly run over a panel needs.

A model of many series forecasts each series with its own scaler and
context (series code, static features), but the network is shared, so the
windows of every series can go through it together. `forecast_requests`
takes one request per series (its one-series problem, its scaled series,
the origin rows and forecast timestamps), runs the model over all their
windows in chunks of the strategy's `chunk_size()` (the windows of a chunk are
gathered when it runs, so memory grows with the rows, never with rows x
lookback), and maps each series' forecasts back to its original units.
The Python loop is over the series' data, never over the model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

# Origins forecast per model call in backtests: bounds memory to chunk x lookback x features.
BACKTEST_CHUNK = 4096


@dataclasses.dataclass
class ForecastRequest:
    """The forecasts one series needs: at `origins` (rows of `series`), for the timestamps `future_times`.

    `covariates`: the scaled future covariates `(len(origins), horizon, k)`
    given to `predict`, or None to read them from the rows after each origin.
    `index`: the forecast timestamps of a `predict` (its frame's index).
    """

    key: object
    problem: object
    series: object
    origins: np.ndarray
    future_times: np.ndarray
    covariates: np.ndarray | None = None
    index: object = None


def forecast_requests(strategy, runner, requests, chunk=None):
    """Forecasts in original units (or distribution parameters) for every request: `{key: array}`.

    Args:
        strategy: the forecaster's strategy (`strategies.DirectStrategy` or `RecursiveStrategy`).
        runner: the compiled model (`BaseForecaster._runner()`).
        requests: `ForecastRequest`s, one per series.
        chunk: windows per model call (default the strategy's `chunk_size()`).
    """
    chunk = strategy.chunk_size() if chunk is None else chunk
    counts = np.array([len(request.origins) for request in requests])
    owner = np.repeat(np.arange(len(requests)), counts)
    position = np.concatenate([np.arange(count) for count in counts]) if len(counts) else np.zeros(0, int)
    scaled = []
    for begin in range(0, int(counts.sum()), chunk):
        rows = slice(begin, begin + chunk)
        parts = [(requests[r], position[rows][owner[rows] == r]) for r in np.unique(owner[rows])]
        windows = np.concatenate([request.series.windows_ending_at(request.origins[at]) for request, at in parts])
        times = np.concatenate([request.future_times[at] for request, at in parts])
        context = [np.concatenate(columns) for columns in zip(*(request.problem.context_inputs(len(at)) for request, at in parts))]
        futures = [_future(strategy, request, at) for request, at in parts]
        future = None if futures[0] is None else np.concatenate(futures)
        problem = parts[0][0].problem
        scaled.append(strategy.forecast_windows(runner, problem, windows, times, future, context=context))
    scaled = np.concatenate(scaled) if scaled else np.zeros((0,))
    ends = np.cumsum(counts)
    return {
        request.key: strategy.to_original(request.problem, request.series, scaled[end - count : end])
        for request, count, end in zip(requests, counts, ends)
    }


def _future(strategy, request, at):
    covariates = None if request.covariates is None else request.covariates[at]
    return request.problem.future_array(request.series, request.origins[at], request.future_times[at], strategy.horizon,
                                        covariates)
