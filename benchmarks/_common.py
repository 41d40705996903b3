"""Helpers shared by the benchmark scripts (not part of the package)."""

import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def cpu_model():
    """The CPU's model name (from /proc/cpuinfo on Linux), e.g. "AMD EPYC" or "Intel(R) Xeon(R) ..."."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine():
    return f"{cpu_model()}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def ets_backtest(values, first, horizon, season_length):
    """Damped additive ETS (statsmodels, state space) fit on values[:first], then h-step
    forecasts from every origin first-1 .. n-horizon-1 with the parameters held fixed.

    Returns an array (n_origins, horizon) or None if statsmodels is missing.
    """
    try:
        from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing
    except ImportError:
        return None
    seasonal = season_length if 1 < season_length <= 48 and first > 3 * season_length else None
    model = ExponentialSmoothing(values[:first], trend=True, damped_trend=True, seasonal=seasonal)
    fitted = model.fit(disp=False)
    full = fitted.apply(values)
    design = np.asarray(full.model.ssm["design"])[0]
    transition = np.asarray(full.model.ssm["transition"])
    intercept = float(np.asarray(full.model.ssm["obs_intercept"]).ravel()[0])
    predicted = np.asarray(full.filter_results.predicted_state)  # (k_states, n + 1): a_{t|t-1}
    origins = np.arange(first - 1, len(values) - horizon)
    state = predicted[:, origins + 1]  # a_{o+1|o}
    forecasts = []
    for _ in range(horizon):
        forecasts.append(design @ state + intercept)
        state = transition @ state
    return np.stack(forecasts, axis=1)


def torch_tutorial_model(lookback_features=1):
    """The tutorial's PyTorch model (LSTM 128 -> LSTM 64 -> Linear 32 -> Linear 1), or None without torch.

    torch is a benchmark-only dependency (`pip install torch==2.13.0` from the local wheel).
    """
    try:
        import torch
    except ImportError:
        return None

    class Tutorial(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = torch.nn.LSTM(lookback_features, 128, batch_first=True)
            self.lstm2 = torch.nn.LSTM(128, 64, batch_first=True)
            self.dense = torch.nn.Linear(64, 32)
            self.out = torch.nn.Linear(32, 1)

        def forward(self, inputs):
            out, _ = self.lstm1(inputs)
            out, _ = self.lstm2(out)
            return self.out(torch.relu(self.dense(out[:, -1])))

    torch.set_num_threads(os.cpu_count())
    return Tutorial()


def dtw_1nn(train, train_y, test):
    """1-NN with multivariate (dependent) DTW, squared Euclidean frame cost as in sktime, vectorised over all pairs."""
    lengths_a, lengths_b = np.array([len(s) for s in test]), np.array([len(s) for s in train])
    length = max(lengths_a.max(), lengths_b.max())
    a = np.full((len(test), length, test[0].shape[1]), np.nan)
    b = np.full((len(train), length, train[0].shape[1]), np.nan)
    for k, s in enumerate(test):
        a[k, : len(s)] = s
    for k, s in enumerate(train):
        b[k, : len(s)] = s
    result = np.full((len(test), len(train)), np.inf)
    previous = np.full((length + 1, len(test), len(train)), np.inf)
    previous[0] = 0.0
    for i in range(length):
        current = np.full_like(previous, np.inf)
        cost_i = ((a[:, i, None, None, :] - b[None, :, :, :]) ** 2).sum(-1)  # (test, train, length)
        for j in range(length):
            best = np.minimum(np.minimum(previous[j + 1], previous[j]), current[j])
            current[j + 1] = np.nan_to_num(cost_i[:, :, j], nan=np.inf) + best
        ends = lengths_a == i + 1
        result[ends] = current[lengths_b, :, np.arange(len(train))].T[ends]
        previous = current
        previous[0] = np.inf
    return train_y[result.argmin(axis=1)]
