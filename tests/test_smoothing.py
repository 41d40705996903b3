"""The "damped" reference: damped-trend exponential smoothing over the window, how it is chosen, and its life in a model."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.models import (
    SMOOTHING_GRID,
    WindowNormalization,
    build_model,
    damped_weights,
    forecast_reference_only,
    reference_forecast,
)


def smoothed(window, horizon, alpha, beta, phi):
    """Holt's damped-trend method run row by row over one window, as textbooks write it."""
    level, trend = window[0], 0.0
    for value in window[1:]:
        previous = level
        level = alpha * value + (1 - alpha) * (level + phi * trend)
        trend = beta * (level - previous) + (1 - beta) * phi * trend
    return np.array([level + sum(phi**k for k in range(1, h + 1)) * trend for h in range(1, horizon + 1)])


@settings(max_examples=40, deadline=None)
@given(
    window=st.lists(st.floats(-100, 100), min_size=2, max_size=30),
    horizon=st.integers(1, 12),
    alpha=st.floats(0.01, 1.0),
    beta=st.floats(0.0, 1.0),
    phi=st.floats(0.5, 1.0),
)
def test_the_weights_are_the_recursion_run_over_the_window(window, horizon, alpha, beta, phi):
    window = np.array(window)
    weights = damped_weights(len(window), horizon, (alpha, beta, phi))
    np.testing.assert_allclose(window @ weights, smoothed(window, horizon, alpha, beta, phi), rtol=1e-4, atol=1e-3)
    # the level's weights sum to one and the trend's to zero: a window moved by c moves the forecast by c
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, atol=1e-4)


def test_the_grid_holds_naive_and_simple_smoothing_once():
    assert (1.0, 0.0, 1.0) in SMOOTHING_GRID  # naive: the auto choice never does worse than "last" on training
    assert len(set(SMOOTHING_GRID)) == len(SMOOTHING_GRID)
    assert all(phi == 1.0 for _, beta, phi in SMOOTHING_GRID if beta == 0.0)


@pytest.mark.parametrize("smoothing, message", [((0.0, 0.1, 0.9), "0 < alpha"), ((0.3, 0.1), "three numbers"),
                                                 ((0.3, 1.5, 0.9), "0 <= beta"), ("fast", "three numbers")])
def test_bad_smoothing_is_refused_by_name(smoothing, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(window_norm="damped", smoothing=smoothing)


def test_smoothing_without_the_damped_reference_is_refused():
    with pytest.raises(ConfigError, match="coefficients of window_norm='damped'.*window_norm='auto' drop it"):
        ModelConfig(smoothing=(0.3, 0.1, 0.9))


def test_a_damped_config_and_layer_round_trip_through_json():
    config = ModelConfig(units=(8,), window_norm="damped", smoothing=[0.2, 0.1, 0.9])
    assert config.smoothing == (0.2, 0.1, 0.9)
    assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    layer = WindowNormalization("damped", horizon=3, smoothing=(0.2, 0.1, 0.9))
    assert WindowNormalization.from_config(json.loads(json.dumps(layer.get_config()))).smoothing == [0.2, 0.1, 0.9]


def test_a_zeroed_damped_model_forecasts_the_smoothing_and_saves_safely(tmp_path):
    smoothing = (0.2, 0.1, 0.9)
    model = build_model(ModelConfig(units=(4,), window_norm="damped", smoothing=smoothing), lookback=6, n_features=2,
                        horizon=3, n_targets=1, target_channels=[1])
    x = np.random.default_rng(0).normal(size=(5, 6, 2)).astype("float32")
    forecast_reference_only(model)
    expected = np.einsum("bl,lh->bh", x[:, :, 1], damped_weights(6, 3, smoothing))[..., None]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(reference_forecast(x, "damped", 3, smoothing=smoothing))[..., 1:], expected,
                               rtol=1e-5, atol=1e-5)
    path = tmp_path / "model.keras"
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path, safe_mode=True).predict(x, verbose=0), expected,
                               rtol=1e-5, atol=1e-5)


def noise_around_a_level(rows=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y": 50.0 + rng.normal(size=rows)}, index=pd.date_range("2020-01-05", periods=rows, freq="W"))


def test_the_forecaster_fits_the_coefficients_of_damped_and_its_bundle_keeps_them(tmp_path):
    data = noise_around_a_level()
    fc = Forecaster(lookback=16, horizon=4, target="y", model=ModelConfig(units=(4,), window_norm="damped"), epochs=1,
                    verbose=0, seed=0, reference_fallback=False).fit(data)
    assert fc.model_config_.smoothing in SMOOTHING_GRID and fc.model_config_.smoothing[0] <= 0.2  # a slow level
    path = fc.save(tmp_path / "noise")
    restored = lstm_toolkit.load(path)
    assert restored.model_config_.smoothing == fc.model_config_.smoothing
    pd.testing.assert_frame_equal(restored.predict(data), fc.predict(data))
    given = Forecaster(lookback=16, horizon=4, target="y", epochs=1, verbose=0, seed=0, reference_fallback=False,
                       model=ModelConfig(units=(4,), window_norm="damped", smoothing=(0.5, 0.1, 0.9))).fit(data)
    assert given.model_config_.smoothing == (0.5, 0.1, 0.9)  # coefficients given are kept


def test_auto_does_not_choose_damped_and_damped_needs_two_rows_and_a_window_model():
    data = noise_around_a_level(rows=200)
    auto = Forecaster(lookback=12, horizon=2, target="y", model=ModelConfig(units=(4,)), epochs=1, verbose=0, seed=0,
                      refit=False, reference_fallback=False).fit(data)
    assert auto.model_config_.window_norm != "damped" and auto.model_config_.smoothing is None
    damped = ModelConfig(units=(4,), window_norm="damped")
    with pytest.raises(ConfigError, match="window_norm='damped' needs a lookback of at least 2 rows"):
        Forecaster(lookback=1, horizon=2, target="y", model=damped, epochs=1, verbose=0).fit(data)
    with pytest.raises(ConfigError, match="window_norm='damped'"):
        Forecaster(lookback=12, horizon=2, target="y", model=damped, epochs=1, verbose=0, stateful=True).fit(data)
