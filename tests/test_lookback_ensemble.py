"""Ensembles across lookbacks (`Forecaster(ensemble=(6, 8, 12))`, `ModelConfig.member_lookbacks`): one member per
lookback, each reading the last that many rows of one window, with its own reference, highway and ridge."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.errors import ConfigError, ReferenceFallbackWarning
from lstm_toolkit.forecasting import linear
from lstm_toolkit.models import blend_correction, build_model, correction_inputs, correction_parts
from lstm_toolkit.models.ensemble import members_model

ACROSS = ModelConfig(units=(4,), window_norm="drift", highway=True, member_lookbacks=(3, 5))


def windows(n=40, lookback=5):
    """Random walks; a model built afresh forecasts each member's reference on them (its output layer and highway
    start at zero): the drift over the rows that member reads."""
    return np.random.default_rng(0).normal(size=(n, lookback, 1)).cumsum(axis=1).astype("float32")


def panel(lengths=(40, 36, 9), seed=0):
    """Yearly series with trends (one shorter than the longest window plus the horizon), as a long frame."""
    rng = np.random.default_rng(seed)
    frames = []
    for k, n in enumerate(lengths):
        values = 100 + (k + 1) * np.arange(n) + rng.normal(scale=2.0, size=n).cumsum()
        frames.append(pd.DataFrame({"series": f"s{k}", "year": pd.date_range("1950", periods=n, freq="YS"),
                                    "value": values}))
    return pd.concat(frames, ignore_index=True)


def forecaster(**kwargs):
    settings = dict(lookback=8, horizon=3, target="value", series_id="series", time_col="year", ensemble=(4, 8),
                    model=ModelConfig(units=(4,), highway="auto"), epochs=3, verbose=0, seed=0)
    return Forecaster(**{**settings, **kwargs})


def test_member_lookbacks_set_the_members_and_round_trip_through_json():
    assert ACROSS.members == 2 and ACROSS.member_lookbacks == (3, 5)
    assert ModelConfig.from_dict(json.loads(json.dumps(ACROSS.to_dict()))) == ACROSS
    assert ModelConfig(member_lookbacks=[np.int64(3), 5], members=2).member_lookbacks == (3, 5)
    with pytest.raises(ConfigError, match="one member; an ensemble across lookbacks needs two or more"):
        ModelConfig(member_lookbacks=(5,))
    with pytest.raises(ConfigError, match="members=3 and member_lookbacks=\\(3, 5\\) disagree"):
        ModelConfig(member_lookbacks=(3, 5), members=3)
    with pytest.raises(ConfigError, match="`member_lookbacks` must be one or more positive integers"):
        ModelConfig(member_lookbacks=(3, 4.5))


def test_each_member_reads_the_last_steps_of_the_window_with_its_own_reference_and_highway():
    model = build_model(ACROSS, lookback=5, n_features=1, horizon=2)
    short, long = (part.get_layer("highway").kernel.shape for part in correction_parts(model))
    assert (short, long) == ((3, 2), (5, 2))  # each highway reads its own window
    x = windows()
    changed = x.copy()
    changed[:, :2] += 10.0  # the two rows only the longer member reads
    before, after = ([np.asarray(o) for o in members_model(model)(w)] for w in (x, changed))
    np.testing.assert_allclose(after[0], before[0], rtol=1e-6, atol=1e-6)
    assert not np.allclose(after[1], before[1])
    np.testing.assert_allclose(np.asarray(model(x)), np.median(np.stack(before), axis=0), rtol=1e-5, atol=1e-5)


def test_a_member_longer_than_the_window_is_refused():
    with pytest.raises(ConfigError, match="no member may be longer than lookback=4.*set lookback=5"):
        build_model(ACROSS, lookback=4, n_features=1)


def test_the_ridge_is_fit_and_blended_for_each_member_on_the_window_it_reads():
    model = build_model(ACROSS, lookback=5, n_features=1, horizon=2)
    x = windows()
    parts = correction_parts(model)
    assert [part.name for part in parts] == ["member_1", "member_2"]
    assert correction_parts(build_model(ModelConfig(units=(4,), highway=True, members=2), lookback=5, n_features=1))[0] \
        .name == "forecaster"  # a seed ensemble's members share one window: one part, as before
    own = [np.asarray(o) for o in members_model(model)(x)]
    expected = []
    for k, part in enumerate(parts):
        features, reference, scale = (np.asarray(p) for p in correction_inputs(part)(x))
        coefficients = np.random.default_rng(k).normal(size=(features.shape[1], 2))
        expected.append(0.7 * own[k] + 0.3 * (reference + scale * (features @ coefficients)[:, :, None]))
        assert blend_correction(part, coefficients, 0.3)
    for got, want in zip((np.asarray(o) for o in members_model(model)(x)), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    fresh = build_model(ACROSS, lookback=5, n_features=1, horizon=2)
    targets = np.random.default_rng(3).normal(size=(40, 2, 1)).astype("float32")
    record = linear.combine_with_ridge(fresh, tf.data.Dataset.from_tensor_slices((x, targets)).batch(16), 0.5)
    assert record["share"] == 0.5 and len(record["alpha"]) == 2  # one penalty per member


def test_a_global_forecaster_across_lookbacks_trains_predicts_every_series_and_loads_the_same(tmp_path):
    data = panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceFallbackWarning)
        fc = forecaster().fit(data)
    assert fc.model_config_.member_lookbacks == (4, 8) and fc.model_config_.members == 2
    assert [part.get_layer("highway").kernel.shape[0] for part in correction_parts(fc.model_)] == [4, 8]
    forecast = fc.predict(data)
    assert sorted(forecast["series"].unique()) == ["s0", "s1", "s2"]  # s2 (9 years) is shorter than 8 + 3
    assert np.isfinite(forecast["value"]).all()
    fc.save(tmp_path / "across")
    loaded = Forecaster.load(tmp_path / "across")
    assert loaded.model_config_.member_lookbacks == (4, 8)
    pd.testing.assert_frame_equal(loaded.predict(data), forecast)


def test_an_ensemble_across_lookbacks_is_refused_by_name_before_training():
    data = panel()
    with pytest.raises(ConfigError, match="no member may be longer than lookback=8.*set lookback=12"):
        forecaster(ensemble=(4, 12)).prepare(data)
    with pytest.raises(ConfigError, match="one lookback; an ensemble across lookbacks needs two or more"):
        forecaster(ensemble=(8,)).prepare(data)
    with pytest.raises(ConfigError, match="disagree; set one of them"):
        forecaster(model=ModelConfig(units=(4,), member_lookbacks=(2, 8))).prepare(data)
    with pytest.raises(ConfigError, match="a count of members, or a tuple of lookbacks"):
        forecaster(ensemble=(4, "8")).prepare(data)
    one = data[data["series"] == "s0"].drop(columns="series")
    with pytest.raises(ConfigError, match="not built for stateful=True"):
        forecaster(series_id=None, stateful=True).prepare(one)


def test_the_reference_is_one_the_shortest_member_can_make():
    index = pd.date_range("2000-01-01", periods=120, freq="MS")
    steps = np.arange(120)
    seasonal = pd.DataFrame({"y": 100 + 20 * np.sin(2 * np.pi * steps / 12)}, index=index)
    alone = Forecaster(lookback=24, horizon=3, model=ModelConfig(units=(4,)), epochs=1, verbose=0, seed=0)
    alone.prepare(seasonal)
    assert alone.model_config_.window_norm.startswith("seasonal")  # a 24-row window: seasonal naive
    across = alone.set_params(ensemble=(6, 24))
    across.prepare(seasonal)
    across = across.model_config_
    assert across.member_lookbacks == (6, 24) and not across.window_norm.startswith("seasonal")  # six rows hold no season


def test_an_ensemble_across_lookbacks_exports_to_litert_and_matches_keras(tmp_path, litert_forecast):
    data = panel()
    one = data[data["series"] == "s0"].drop(columns="series")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceFallbackWarning)
        fc = forecaster(series_id=None, epochs=1).fit(one)
    window = fc.windows(one, ends=[len(one) - 1])
    exported = litert_forecast(fc.export(tmp_path / "across.tflite", format="litert"), window)
    np.testing.assert_allclose(exported, fc.predict_windows(window), rtol=1e-4, atol=1e-4)


def test_a_tuner_trial_is_one_network_reading_the_whole_window():
    import keras_tuner

    from lstm_toolkit.tuning import ForecastHyperModel, SearchSpace

    fc = forecaster()
    series = fc.prepare(panel())
    assert fc.model_config_.member_lookbacks == (4, 8)
    values = SearchSpace(depth=1, units=8).declare(keras_tuner.HyperParameters())
    trial = ForecastHyperModel(fc, series, SearchSpace(), epochs=1).model_config(values)
    assert trial.members == 1 and trial.member_lookbacks == ()
