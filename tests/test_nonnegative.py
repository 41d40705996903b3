"""nonnegative="auto": forecasts (points, quantiles, sample paths) of a target that never went below 0, and reached
it, are floored at 0."""

import warnings

import numpy as np
import pandas as pd
import pytest

from lstm_toolkit import ConfigError, Forecaster, load
from lstm_toolkit.data import Scaler
from lstm_toolkit.forecasting.problem import ForecastProblem

TINY = {"model": {"units": [4], "window_norm": "drift"}, "epochs": 1, "verbose": 0, "seed": 0}


def _falling(level=0.0, rows=120):
    """Zeros, then a steady fall that ends just above `level`: the drift reference forecasts below it."""
    values = np.concatenate([np.zeros(20), np.linspace(60.0, 1.0, rows - 20)]) + level
    return pd.DataFrame({"y": values}, index=pd.date_range("2000-01-01", periods=rows, freq="D"))


def _fit(data, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Forecaster(lookback=14, horizon=6, target="y", **TINY, **params).fit(data)


def test_auto_floors_predict_backtest_and_streamer_at_zero_where_the_training_values_reached_zero():
    data = _falling()
    free = _fit(data, nonnegative=False)
    assert free.predict(data)["y"].min() < -1  # the drift carries on below zero
    floored = _fit(data)
    forecast = floored.predict(data)["y"].to_numpy()
    np.testing.assert_allclose(forecast, np.maximum(free.predict(data)["y"].to_numpy(), 0.0))
    assert forecast.min() == 0.0 and floored.scaling()["target_floor"] == [0.0]
    later = pd.concat([data, pd.DataFrame({"y": np.zeros(12)}, index=pd.date_range(data.index[-1], periods=13,
                                                                                   freq="D")[1:])])
    assert floored.backtest(later)["forecast"].min() == 0.0  # the rows after training: the fall ends at zero
    assert free.backtest(later)["forecast"].min() < -1
    streamer = floored.streamer()
    for value in data["y"].iloc[-14:]:
        streamed = streamer.update([value])
    np.testing.assert_allclose(streamed[:, 0], forecast, atol=1e-5)


def test_auto_leaves_a_series_that_went_negative_or_stayed_above_zero_and_true_floors_it_anyway():
    below = _falling(level=-0.5)  # its zeros are -0.5: it went below zero in training
    assert _fit(below).predict(below)["y"].min() < -1
    above = _falling(level=0.5)  # it never reached zero (a summer of temperatures in degrees Celsius)
    stayed_above = _fit(above)
    assert stayed_above.predict(above)["y"].min() < -1 and stayed_above.scaling()["target_floor"] == [None]
    assert _fit(below, nonnegative=True).predict(below)["y"].min() == 0.0


def test_each_series_of_a_panel_gets_its_own_floor():
    panel = {"counts": _falling(), "balance": _falling(level=-0.5)}
    forecast = _fit(panel).predict(panel)
    by_series = forecast.groupby("series")["y"].min()
    assert by_series["counts"] == 0.0 and by_series["balance"] < -1


def test_the_floor_is_saved_and_a_bundle_from_before_it_forecasts_as_then(tmp_path):
    data = _falling()
    fc = _fit(data)
    fc.save(tmp_path / "counts")
    loaded = load(tmp_path / "counts")
    np.testing.assert_allclose(loaded.predict(data).to_numpy(), fc.predict(data).to_numpy())
    assert loaded.predict(data)["y"].min() == 0.0
    state = fc.problem_.to_state()
    del state["nonnegative"]  # a bundle saved before the floor
    assert np.isneginf(ForecastProblem.from_state(state).target_floor()).all()
    older = fc.problem_.scaler.to_dict()
    del older["data_min"]  # a scaler saved before it kept its minimum
    assert Scaler.from_dict(older).minimum() is None


def test_the_scaler_keeps_each_columns_training_minimum_through_json():
    scaler = Scaler("naive", columns=["a", "b"]).fit(np.array([[0.0, 5.0], [2.0, 3.0], [1.0, 4.0]]))
    again = Scaler.from_dict(scaler.to_dict())
    assert again.minimum().tolist() == [0.0, 3.0] and again.minimum(["b"]).tolist() == [3.0]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_bad_nonnegative_values_are_refused_by_name(value):
    with pytest.raises(ConfigError, match="`nonnegative` must be True, False or 'auto'"):
        Forecaster(lookback=14, horizon=6, target="y", nonnegative=value).prepare(_falling())


def test_exported_models_floor_their_forecasts_as_predict_does(tmp_path):
    import tensorflow as tf

    from lstm_toolkit.serving.streaming import load_litert

    data = _falling()
    fc = _fit(data)
    expected = fc.predict(data)["y"].to_numpy()
    assert expected.min() == 0.0
    device = load_litert(fc.export(tmp_path / "counts.tflite"))  # the sidecar carries the floor
    for value in data["y"].iloc[-14:]:
        streamed = device.update([value])
    np.testing.assert_allclose(streamed[:, 0], expected, atol=1e-4)
    serving = tf.saved_model.load(str(fc.export(tmp_path / "served", format="saved_model"))).signatures["serving_default"]
    window = data[["y"]].to_numpy()[-14:][None].astype("float32")
    np.testing.assert_allclose(serving(window=tf.constant(window))["forecast"].numpy()[0, :, 0], expected, atol=1e-4)


def test_a_probabilistic_models_median_quantiles_and_sample_paths_are_floored_too():
    data = _falling()
    later = pd.concat([data, pd.DataFrame({"y": np.zeros(12)}, index=pd.date_range(data.index[-1], periods=13,
                                                                                   freq="D")[1:])])
    free, floored = (_fit(data, loss="gaussian", nonnegative=flag) for flag in (False, "auto"))
    assert free.predict(data).to_numpy().min() < -1  # the median and the quantiles go below zero
    frame = floored.predict(data)
    np.testing.assert_allclose(frame.to_numpy(), np.maximum(free.predict(data).to_numpy(), 0.0))
    assert frame.to_numpy().min() == 0.0 and frame.columns[0] == "y" and all(c.startswith("y_q") for c in frame.columns[1:])
    paths = floored.predict(data, num_samples=50, seed=0)
    assert paths.shape == (50, 6, 1) and paths.min() == 0.0
    np.testing.assert_allclose(paths, np.maximum(free.predict(data, num_samples=50, seed=0), 0.0))
    backtest = floored.backtest(later)
    quantile_columns = [column for column in backtest if column.startswith("forecast")]
    assert backtest[quantile_columns].to_numpy().min() == 0.0
    assert free.backtest(later)[quantile_columns].to_numpy().min() < -1
    scores, free_scores = floored.evaluate(later), free.evaluate(later)
    assert scores.loc["model", "CRPS"] < free_scores.loc["model", "CRPS"]  # a censored forecast of actuals >= 0
