import re

import numpy as np
import pytest

from lstm_toolkit import metrics
from lstm_toolkit.errors import DataError
from lstm_toolkit.forecasting.baselines import naive_forecast, seasonal_naive_forecast


def test_metrics_against_hand_computed_values():
    actual = np.array([100.0, 200.0, 300.0, 400.0])
    forecast = np.array([110.0, 190.0, 330.0, 400.0])
    assert metrics.mae(actual, forecast) == pytest.approx(12.5)
    assert metrics.rmse(actual, forecast) == pytest.approx(np.sqrt((100 + 100 + 900) / 4))
    assert metrics.mape(actual, forecast) == pytest.approx(100 * (0.1 + 0.05 + 0.1 + 0.0) / 4)
    expected_smape = 100 * np.mean([20 / 210, 20 / 390, 60 / 630, 0.0])
    assert metrics.smape(actual, forecast) == pytest.approx(expected_smape)
    assert metrics.mase(actual, forecast, scale=25.0) == pytest.approx(0.5)


@pytest.mark.parametrize("metric", [metrics.mae, metrics.rmse, metrics.mape, metrics.smape])
def test_a_column_and_a_vector_are_scored_pair_by_pair_and_other_shapes_are_refused(metric):
    """A Series of actual values beside a one-column frame of forecasts was broadcast to an (n, n) table of errors."""
    actual, forecast = np.array([100.0, 200.0, 300.0]), np.array([110.0, 190.0, 330.0])
    assert metric(actual, forecast[:, None]) == metric(actual[:, None], forecast) == metric(actual, forecast)
    for wrong in (forecast[None, :], forecast[:2], np.tile(forecast[:, None], 2)):
        with pytest.raises(DataError, match=re.escape(f"`actual` has shape (3,) and `forecast` {wrong.shape}: give one")):
            metric(actual, wrong)


def test_mape_skips_zero_actuals_and_smape_handles_zeros():
    assert metrics.mape([0.0, 10.0], [5.0, 11.0]) == pytest.approx(10.0)
    assert np.isnan(metrics.mape([0.0], [1.0]))
    assert metrics.smape([0.0, 0.0], [0.0, 1.0]) == pytest.approx(100.0)


def test_seasonal_naive_scale():
    history = np.array([1.0, 5.0, 2.0, 6.0, 3.0, 7.0])
    assert metrics.seasonal_naive_scale(history, season_length=2) == pytest.approx(1.0)
    assert metrics.seasonal_naive_scale(history, season_length=1) == pytest.approx(np.mean([4, 3, 4, 3, 4]))
    assert metrics.seasonal_naive_scale(history[:3], season_length=2) == pytest.approx(3.5)  # falls back to m=1


def test_point_metrics_keys():
    assert list(metrics.point_metrics([1.0], [2.0], 1.0)) == list(metrics.METRICS)


def test_naive_and_seasonal_naive_forecasts():
    values = np.arange(10.0)[:, None]
    np.testing.assert_array_equal(naive_forecast(values, [4], 3)[0, :, 0], [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(seasonal_naive_forecast(values, [5], 5, season_length=3)[0, :, 0], [3, 4, 5, 3, 4])
    np.testing.assert_array_equal(seasonal_naive_forecast(values, [5], 2, season_length=1)[0, :, 0], [5, 5])
    with pytest.raises(DataError, match="full season"):
        seasonal_naive_forecast(values, [1], 2, season_length=4)
