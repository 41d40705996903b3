"""architecture="segment": SegRNN-style recurrence over segments of the window, through everything a window model does."""

import json

import numpy as np
import pandas as pd
import pytest

import lstm_toolkit
from lstm_toolkit import FCNConfig, Forecaster, ModelConfig, SegmentConfig
from lstm_toolkit.backend import keras_tuner
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.models import build_model, resolve_segment_length
from lstm_toolkit.tuning import SearchSpace


def test_segment_length_auto_takes_the_season_else_a_divisor_near_the_square_root():
    assert resolve_segment_length(336, "auto", season_length=24) == 24
    assert resolve_segment_length(100, "auto", season_length=24) == 10  # 24 does not divide 100
    assert resolve_segment_length(60, "auto") in (6, 10) and 60 % resolve_segment_length(60) == 0
    assert resolve_segment_length(96, 12) == 12
    with pytest.raises(ConfigError, match=r"segment_length=7 does not divide lookback=96.*\[2, 3, 4, 6, 8, 12"):
        resolve_segment_length(96, 7)
    with pytest.raises(ConfigError, match="segment_length"):
        ModelConfig(architecture="segment", segment=SegmentConfig(length=0))
    with pytest.raises(ConfigError, match="bidirectional"):
        ModelConfig(architecture="segment", bidirectional=True)
    with pytest.raises(ConfigError, match="segment_decoder"):
        ModelConfig(architecture="segment", segment=SegmentConfig(decoder="sideways"))


def test_architecture_auto_reads_long_windows_in_segments():
    from lstm_toolkit.forecasting.choices import resolve_architecture
    from lstm_toolkit.models.config import SEGMENT_FROM_LOOKBACK

    auto = ModelConfig(architecture="auto")
    assert resolve_architecture(auto, 336, 24, stateful=False) == "segment"
    assert resolve_architecture(auto, SEGMENT_FROM_LOOKBACK - 1, 24, stateful=False) == "stacked"
    assert resolve_architecture(auto, 336, 24, stateful=True) == "stacked"  # carries its state row by row
    assert resolve_architecture(auto, 241, 1, stateful=False) == "stacked"  # a prime lookback has no segments
    assert resolve_architecture(ModelConfig(architecture="auto", bidirectional=True), 336, 24, False) == "stacked"
    assert resolve_architecture(ModelConfig(architecture="seq2seq"), 336, 24, False) == "seq2seq"
    fc = Forecaster(lookback=336, horizon=24, target="temp", epochs=1, verbose=0, seed=0)
    fc.prepare(lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:600])
    assert fc.model_config_.architecture == "segment" and fc.model_config_.segment.length == 24
    assert Forecaster.DEFAULT_MODEL.architecture == "auto"


@pytest.mark.parametrize("decoder", ["parallel", "dense"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_recurrent_layers_run_over_segments_not_rows(decoder, cell):
    config = ModelConfig(architecture="segment", segment=SegmentConfig(length=24, decoder=decoder), cell=cell, units=(16, 8))
    model = build_model(config, lookback=336, n_features=2, horizon=30, n_future=3, loss="quantile")
    recurrent = [layer for layer in model.layers if layer.name.startswith(f"{cell}_")]
    assert [layer.input.shape[1] for layer in recurrent] == [336 // 24, 336 // 24]  # 14 steps, not 336
    outputs = model([np.zeros((4, 336, 2), "float32"), np.ones((4, 30, 3), "float32")])
    assert tuple(outputs.shape) == (4, 30, 1, 5)  # a horizon that is not a whole number of segments is cropped


@pytest.fixture(scope="module")
def hourly():
    return lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:1400]


@pytest.fixture(scope="module")
def fitted(hourly):
    fc = Forecaster(lookback=96, horizon=24, target="temp", model=ModelConfig(architecture="segment", units=(16,)),
                    epochs=3, verbose=0, seed=0)
    return fc.fit(hourly.iloc[:1150])


def test_a_segment_forecaster_fits_predicts_backtests_and_round_trips(fitted, hourly, tmp_path):
    assert fitted.model_config_.segment.length == 24  # "auto": the daily season divides the 96-hour window
    forecast = fitted.predict(hourly.iloc[:1150])
    assert forecast.shape == (24, 1) and np.isfinite(forecast.to_numpy()).all()
    table = fitted.evaluate(hourly)
    assert table.loc["model", "MASE"] < table.loc["naive", "MASE"]
    loaded = lstm_toolkit.load(fitted.save(tmp_path / "segment"))  # safe_mode=True: registered layers only
    pd.testing.assert_frame_equal(loaded.predict(hourly.iloc[:1150]), forecast)


def test_a_segment_forecaster_exports_with_builtin_ops_and_streams_from_a_window(fitted, hourly, tmp_path, litert_forecast):
    window = fitted.windows(hourly.iloc[:1150], ends=[1149])
    exported = litert_forecast(fitted.export(tmp_path / "segment.tflite", format="litert"), window)
    np.testing.assert_allclose(exported, fitted.predict_windows(window), rtol=1e-4, atol=1e-4)
    streamer = fitted.streamer()
    for value in hourly["temp"].iloc[1150 - 96 : 1150]:
        forecast = streamer.update([value])
    np.testing.assert_allclose(np.ravel(forecast), fitted.predict(hourly.iloc[:1150])["temp"], rtol=1e-4)


def test_stateful_segment_models_are_refused_with_the_reason(hourly):
    fc = Forecaster(lookback=48, horizon=6, target="temp", stateful=True, model=ModelConfig(architecture="segment"))
    with pytest.raises(ConfigError, match="architecture='segment' decodes the horizon from a whole encoded window"):
        fc.fit(hourly)


def test_segment_models_for_many_series_with_probabilistic_loss_and_calendar():
    panel = lstm_toolkit.datasets.synthetic_panel(3, 200, seed=0, short_fraction=0.0)
    fc = Forecaster(lookback=48, horizon=12, target="value", time_col="timestamp", series_id="series",
                    series_embedding=2, loss="gaussian", calendar=["hour"],
                    model=ModelConfig(architecture="segment", units=(8,)), epochs=1, verbose=0, seed=0).fit(panel)
    assert fc.model_config_.segment.length == 24
    forecast = fc.predict(panel)
    assert len(forecast) == 3 * 12 and {"value", "value_q0.1", "value_q0.9"} <= set(forecast.columns)


def test_the_search_space_varies_the_segment_length_of_segment_trials_only():
    space = SearchSpace(architecture=("stacked", "segment"), segment_length=(12, 24), units=16, depth=1)
    hp = keras_tuner.HyperParameters()
    hp.values["architecture"] = "segment"
    values = space.declare(hp)
    assert values["architecture"] == "segment" and values["segment_length"] in (12, 24)
    assert SearchSpace.from_dict(space.to_dict()) == space
    with pytest.raises(ConfigError, match="segment_length"):
        SearchSpace(segment_length=("auto", 12))


def test_architecture_options_live_with_their_architecture_and_the_flat_names_still_work():
    config = ModelConfig(architecture="segment", segment=SegmentConfig(length=24, decoder="dense"))
    assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert ModelConfig(segment={"length": 24, "decoder": "dense"}, architecture="segment") == config  # a dict works too
    flat = {key: value for key, value in config.to_dict().items() if key not in ("segment", "fcn")}
    old_bundle = {**flat, "segment_length": 24, "segment_decoder": "dense", "filters": [4, 8, 4],
                  "kernel_sizes": [5, 3, 3], "squeeze_excite": True}  # a ModelConfig saved before the split
    loaded = ModelConfig.from_dict(old_bundle)
    assert loaded.segment == config.segment and loaded.fcn == FCNConfig(filters=(4, 8, 4), kernel_sizes=(5, 3, 3),
                                                                         squeeze_excite=True)
    with pytest.warns(DeprecationWarning, match=r"segment_length -> segment.length"):
        legacy = ModelConfig(architecture="segment", segment_length=24, segment_decoder="dense")
    assert legacy == config
    with pytest.warns(DeprecationWarning, match=r"ModelConfig.filters is now ModelConfig.fcn.filters"):
        assert loaded.filters == (4, 8, 4)
    with pytest.raises(ConfigError, match="SegmentConfig"):
        ModelConfig(segment=24)
