"""Streaming: ring-buffer and carried-state streamers, stateful (TBPTT) training, NumPy kernels."""

import warnings

import keras
import numpy as np
import pytest

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.errors import ConfigError, CuDNNWarning, DataError
from lstm_toolkit.models import build_model, build_sequence_model, state_sizes
from lstm_toolkit.serving.kernels import NumpyStepper
from lstm_toolkit.training import tbptt


def small(**kwargs):
    settings = dict(lookback=24, horizon=3, target="temp", model=ModelConfig(units=(16, 8)), epochs=2, verbose=0, seed=0)
    settings.update(kwargs)
    return Forecaster(**settings)


@pytest.fixture(scope="module")
def data():
    return lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:1500]


@pytest.fixture(scope="module")
def window_fc(data):
    return small().fit(data.iloc[:1000])


@pytest.fixture(scope="module")
def stateful_fc(data):
    return small(stateful=True, epochs=3).fit(data.iloc[:1000])


# --- window models: ring buffer ------------------------------------------------------


def test_window_streamer_equals_predict_on_200_consecutive_steps(window_fc, data):
    stream = data.iloc[1000:1223]
    streamer = window_fc.streamer()
    outputs = [streamer.update(value) for value in stream["temp"]]
    assert all(output is None for output in outputs[:23])  # lookback 24: nothing before the 24th row
    for k in range(23, 223):
        expected = window_fc.predict(stream.iloc[: k + 1]).to_numpy()
        np.testing.assert_allclose(outputs[k], expected, atol=1e-5, rtol=0)


def test_window_streamer_accepts_mapping_and_array_rows(window_fc, data):
    values = data["temp"].iloc[:30].to_numpy()
    by_number, by_mapping, by_array = (window_fc.streamer() for _ in range(3))
    for value in values:
        a = by_number.update(value)
        b = by_mapping.update({"temp": value, "ignored": 1.0})
        c = by_array.update(np.array([value]))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_reset_starts_an_unrelated_sequence(window_fc, data):
    values = data["temp"].to_numpy()
    streamer = window_fc.streamer()
    for value in values[:40]:
        streamer.update(value)
    streamer.reset()
    assert streamer.update(values[100]) is None  # the buffer was emptied
    fresh = window_fc.streamer()
    fresh.update(values[100])
    for value in values[101:130]:
        np.testing.assert_array_equal(streamer.update(value), fresh.update(value))


def test_calendar_features_need_timestamps(data):
    fc = small(calendar=("hour",), epochs=1, model=ModelConfig(units=(4,))).fit(data.iloc[:600])
    streamer = fc.streamer()
    with pytest.raises(DataError, match="timestamp="):
        streamer.update(50.0)
    history = data.iloc[600:624]
    for timestamp, value in history["temp"].items():
        output = streamer.update(value, timestamp=timestamp)
    np.testing.assert_allclose(output, fc.predict(history).to_numpy(), atol=1e-5)


# --- bad rows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, message",
    [
        (float("nan"), "impute"),
        (np.array([1.0, 2.0]), "input column"),
        ({"other": 1.0}, "lacks the input column"),
        ("abc", "input column"),
    ],
)
def test_bad_rows_are_refused_and_leave_the_stream_unchanged(stateful_fc, data, row, message):
    values = data["temp"].iloc[:20].to_numpy()
    clean, disturbed = stateful_fc.streamer(), stateful_fc.streamer()
    for value in values[:10]:
        clean.update(value)
        disturbed.update(value)
    with pytest.raises((DataError, ValueError), match=message):
        disturbed.update(row)
    for value in values[10:]:
        np.testing.assert_array_equal(clean.update(value), disturbed.update(value))


# --- stateful models: carried state --------------------------------------------------


def test_stateful_streamer_equals_one_pass_over_the_whole_series(stateful_fc, data):
    stream = data.iloc[1000:1300]
    series = stateful_fc.windowed(stream)
    one_pass, _ = tbptt.SequenceRunner(stateful_fc.model_, stateful_fc.model_config_)(series.inputs[None])
    expected = series.inverse_targets(one_pass[0])
    for engine in ("numpy", "tf"):
        streamer = stateful_fc.streamer(engine=engine)
        stepped = np.stack([streamer.update(value) for value in stream["temp"]])
        np.testing.assert_allclose(stepped, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(stateful_fc.predict(stream).to_numpy(), expected[-1], atol=1e-5)


def test_stateful_streams_are_independent(stateful_fc, data):
    values = data["temp"].to_numpy()
    multi = stateful_fc.streamer(n_streams=3)
    singles = [stateful_fc.streamer() for _ in range(3)]
    offsets = (0, 200, 400)
    for step in range(30):
        rows = np.array([values[o + step] for o in offsets])
        if step == 15:  # restart stream 1 only: the others must not notice
            multi.reset(stream=1)
            singles[1].reset()
        batched = multi.update(rows)
        for k, single in enumerate(singles):
            np.testing.assert_allclose(batched[k], single.update(rows[k]), atol=1e-6)
    with pytest.raises(DataError, match=r"shape \(3, 1\)"):
        multi.update(np.ones(2))
    with pytest.raises(ConfigError, match="stream"):
        multi.reset(stream=3)
    with pytest.raises(DataError, match=r"The row of stream 1 lacks the input column\(s\) \['temp'\]"):
        multi.update([{"temp": 50.0}, {"temperature": 51.0}, {"temp": 52.0}])


def test_window_multi_stream_marks_streams_still_warming_up(window_fc, data):
    values = data["temp"].to_numpy()
    multi = window_fc.streamer(n_streams=2)
    for step in range(24):
        output = multi.update(np.array([values[step], values[step + 500]]))
    assert output.shape == (2, 3, 1) and np.isfinite(output).all()
    multi.reset(stream=0)
    output = multi.update(np.array([values[30], values[530]]))
    assert np.isnan(output[0]).all() and np.isfinite(output[1]).all()


def test_stateful_forecaster_trains_and_round_trips(stateful_fc, data, tmp_path):
    losses = stateful_fc.history_["loss"]
    assert losses[-1] < losses[0] and "val_loss" in stateful_fc.history_
    assert stateful_fc.model_config_.window_norm == "last"
    path = stateful_fc.save(tmp_path / "stateful")
    loaded = lstm_toolkit.load(path)
    assert loaded.stateful
    pd_history = data.iloc[1000:1100]
    np.testing.assert_allclose(loaded.predict(pd_history).to_numpy(), stateful_fc.predict(pd_history).to_numpy(), atol=1e-6)
    table = loaded.evaluate(data.iloc[:1200])
    assert set(table.index) == {"model", "naive", "seasonal_naive"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(model=ModelConfig(units=(4,), bidirectional=True)), "bidirectional"),
        (dict(model=ModelConfig(units=(4,), window_norm="mean")), "whole window"),
        (dict(strategy="recursive"), "recursive"),
    ],
)
def test_stateful_refuses_what_cannot_carry_state(data, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        small(stateful=True, **kwargs).fit(data.iloc[:600])


def test_streamer_engine_is_checked(window_fc):
    with pytest.raises(ConfigError, match="engine"):
        window_fc.streamer(engine="numpy")
    with pytest.raises(ConfigError, match="engine"):
        window_fc.streamer(engine="cuda")


# --- TBPTT pieces -------------------------------------------------------------------


def test_chunks_continue_each_segment_from_batch_to_batch():
    rows = np.arange(2000, dtype="float32")[:, None]
    dataset, batch = tbptt.chunk_dataset(rows, rows, stop=2000, horizon=2, chunk_length=25, max_batch=8)
    batches = [x.numpy()[:, :, 0] for x, _ in dataset]
    assert batch == 4 and all(b.shape == (4, 25) for b in batches)
    for before, after in zip(batches, batches[1:]):
        np.testing.assert_array_equal(after[:, 0], before[:, -1] + 1)  # each row picks up where it stopped
    x, y = next(iter(dataset))
    np.testing.assert_array_equal(y.numpy()[:, :, :, 0], x.numpy()[:, :, :1] + np.array([1, 2]))


def test_chunk_dataset_refuses_too_short_series():
    rows = np.zeros((20, 1), "float32")
    with pytest.raises(DataError, match="shorter lookback"):
        tbptt.chunk_dataset(rows, rows, stop=20, horizon=1, chunk_length=24, max_batch=8)


def test_reset_states_zeroes_every_stateful_layer_each_epoch():
    config = ModelConfig(units=(4, 3), window_norm="none")
    model = build_sequence_model(config, n_features=1, stateful=True, batch_size=2)
    model(np.ones((2, 5, 1), "float32"))
    layers = [layer for layer in model.layers if getattr(layer, "stateful", False)]
    assert all(np.abs(np.asarray(s)).sum() > 0 for layer in layers for s in layer.states)
    callback = tbptt.ResetStates()
    callback.set_model(model)
    callback.on_epoch_begin(0)
    assert all(np.abs(np.asarray(s)).sum() == 0 for layer in layers for s in layer.states)


# --- NumPy kernels and the cuDNN warning -------------------------------------------


@pytest.mark.parametrize("cell", ["lstm", "gru", "peephole"])
def test_numpy_step_matches_keras_with_head_and_residual(cell):
    config = ModelConfig(units=(6, 5), cell=cell, dense_units=(4,), dense_activation="tanh")
    model = build_sequence_model(config, n_features=2, horizon=3, delta_scale=[0.5, 1.0])
    rng = np.random.default_rng(0)
    for layer in model.layers:  # non-zero peepholes and biases, so every term counts
        layer.set_weights([rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()])
    x = rng.normal(size=(3, 7, 2)).astype("float32")
    states = [np.zeros((3, size), "float32") for size in state_sizes(config)]
    expected, *_ = model([x, *states])
    stepper = NumpyStepper(model, config, dtype="float64")
    numpy_states = [s.astype("float64") for s in states]
    for t in range(7):
        forecast, numpy_states = stepper.step(x[:, t], numpy_states)
        np.testing.assert_allclose(forecast, np.asarray(expected)[:, t], atol=1e-5)


def test_cudnn_warning_is_shown_once_per_call_site():
    config = ModelConfig(units=(4,), recurrent_dropout=0.2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            build_model(config, lookback=3, n_features=1)
    assert [w.category for w in caught].count(CuDNNWarning) == 1
    keras.backend.clear_session()


def test_recursive_model_with_calendar_streams_like_predict(data):
    fc = small(strategy="recursive", calendar=("hour",), model=ModelConfig(units=(4,)), epochs=1).fit(data.iloc[:600])
    streamer = fc.streamer()
    history = data.iloc[600:640]
    outputs = [streamer.update(value, timestamp=ts) for ts, value in history["temp"].items()]
    for k in (23, 30, 39):
        np.testing.assert_allclose(outputs[k], fc.predict(history.iloc[: k + 1]).to_numpy(), atol=1e-5)


def test_trained_weights_move_from_the_stateful_form_to_the_inference_form():
    config = ModelConfig(units=(5, 3), dense_units=(4,))
    trainer = build_sequence_model(config, n_features=2, horizon=2, stateful=True, batch_size=2)
    x = np.random.default_rng(1).normal(size=(2, 6, 2)).astype("float32")
    trainer(x)  # builds the carried states, which must not be copied as weights
    for layer in trainer.layers:
        layer.set_weights([np.random.default_rng(2).normal(size=w.shape) for w in layer.get_weights()])
    for layer in trainer.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()
    expected = np.asarray(trainer(x))
    model = build_sequence_model(config, n_features=2, horizon=2)
    tbptt.copy_weights(trainer, model)
    forecasts, *_ = model([x, *[np.zeros((2, s), "float32") for s in state_sizes(config)]])
    np.testing.assert_allclose(np.asarray(forecasts), expected, atol=1e-5)
