"""Helpers shared by the benchmark scripts (not part of the package)."""

import argparse
import json
import os
import platform
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np


def cpu_model():
    """The CPU's model name, family/model numbers and widest vector instructions (from /proc/cpuinfo on Linux).

    A cloud VM often reports only "AMD EPYC", which covers CPUs with and without AVX-512 VNNI; TensorFlow turns
    oneDNN on by itself only on those with it (or AMX), so timings on the two are not comparable. Example:
    "AMD EPYC (family 25 model 17; AVX-512 VNNI)".
    """
    fields = {}
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "cpu family", "model", "flags") and key not in fields:
                    fields[key] = value.strip()
    except OSError:
        pass
    if "model name" not in fields:
        return platform.processor() or platform.machine()
    flags = set(fields.get("flags", "").split())
    vectors = ("AMX" if "amx_tile" in flags else "AVX-512 VNNI" if "avx512_vnni" in flags
               else "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2")
    numbers = f"family {fields['cpu family']} model {fields['model']}; " if "cpu family" in fields else ""
    return f"{fields['model name']} ({numbers}{vectors})"


def machine():
    return f"{cpu_model()}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def quiet_fit(forecaster, data):
    """`forecaster.fit(data)` with its warnings silenced (a benchmark reports its own numbers): the fit's seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        forecaster.fit(data)
        return time.perf_counter() - started


def compare_ways(title, cases, ways, fit_once, argv=None):
    """A benchmark's command line: fits each `(case, keywords)` of `cases` both ways of `ways` (two), one after
    the other on the same data in `--rounds` interleaved rounds, and prints each fit, whether the two ways' forecasts
    agree, and a table of median fit seconds. `fit_once(case, keywords, way, seed) -> (seconds, forecast values, note)`."""
    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"# {title} ({machine()}), seed {args.seed}, {args.rounds} interleaved rounds")
    table = {}
    for case, keywords in cases:
        forecasts = {}
        for round_ in range(args.rounds):
            for way in ways:
                seconds, forecast, note = fit_once(case, keywords, way, args.seed)
                forecasts.setdefault(way, forecast)
                table.setdefault((case, way), []).append(seconds)
                print(f"  round {round_}, {case} {json.dumps(keywords)}, {way}: fit {seconds:.2f} s{note}", flush=True)
        before, now = forecasts.values()
        print(f"  {case}: forecasts equal: {bool(np.allclose(before, now, rtol=1e-5))} "
              f"(largest relative difference {float(np.max(np.abs(before - now) / np.maximum(np.abs(before), 1e-12))):.1e})")
    print("\n| case | settings | " + " | ".join(f"{way}, median fit s" for way in ways) + " |")
    print("|---|---|" + "---|" * len(ways))
    for case, keywords in cases:
        medians = [float(np.median(table[(case, way)])) for way in ways]
        print(f"| {case} | {json.dumps(keywords) if keywords else 'defaults'} | "
              + " | ".join(f"{m:.1f}" for m in medians) + " |")


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
