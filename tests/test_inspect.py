"""The peephole LSTM cell and the gate inspector."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.errors import ConfigError, CuDNNWarning
from lstm_toolkit.gates import GateSaturationWarning, attention_weights, gate_summary, lstm_gates
from lstm_toolkit.models import PeepholeLSTM, PeepholeLSTMCell, build_model
from lstm_toolkit.plotting import plot_cell_state, plot_forget_per_unit, plot_gates

RNG = np.random.default_rng(0)
pytestmark = pytest.mark.filterwarnings("ignore::lstm_toolkit.errors.CuDNNWarning")


def randomise(model, scale=0.5):
    for layer in model.layers:
        layer.set_weights([RNG.normal(scale=scale, size=w.shape) for w in layer.get_weights()])
    return model


def test_peephole_with_zero_peepholes_equals_keras_lstm_cell():
    x = RNG.normal(size=(3, 9, 2)).astype("float32")
    reference = keras.layers.LSTM(5, return_sequences=True)
    peephole = PeepholeLSTM(5, return_sequences=True)
    reference(x), peephole(x)
    weights = [RNG.normal(scale=0.5, size=w.shape) for w in reference.get_weights()]
    reference.set_weights(weights)
    peephole.set_weights(weights + [np.zeros(5)] * 3)
    np.testing.assert_allclose(peephole(x), reference(x), atol=1e-6)


def test_peephole_gradients_match_finite_differences():
    cell = PeepholeLSTMCell(3, peephole_initializer="random_normal", dtype="float64")
    layer = keras.layers.RNN(cell, dtype="float64")
    x = tf.constant(RNG.normal(size=(2, 4, 2)))
    layer(x)
    weights = layer.trainable_weights

    def loss():
        return tf.reduce_sum(tf.sin(layer(x)))

    with tf.GradientTape() as tape:
        value = loss()
    gradients = tape.gradient(value, weights)
    eps = 1e-6
    for weight, gradient in zip(weights, gradients):
        assert weight.name in {"kernel", "recurrent_kernel", "bias", "input_peephole", "forget_peephole", "output_peephole"}
        flat = weight.numpy().ravel()
        for position in range(0, flat.size, max(1, flat.size // 5)):
            shifted = flat.copy()
            shifted[position] += eps
            weight.assign(shifted.reshape(weight.shape))
            up = float(loss())
            shifted[position] -= 2 * eps
            weight.assign(shifted.reshape(weight.shape))
            down = float(loss())
            weight.assign(flat.reshape(weight.shape))
            np.testing.assert_allclose(gradient.numpy().ravel()[position], (up - down) / (2 * eps), atol=1e-6)


def test_peephole_forecaster_trains_and_round_trips(tmp_path):
    df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:900]
    with pytest.warns(CuDNNWarning, match="peephole"):
        fc = Forecaster(lookback=24, horizon=3, target="temp", model=ModelConfig(units=(8,), cell="peephole"), refit=False,
                        epochs=3, verbose=0, seed=0).fit(df.iloc[:800])
    assert fc.history_["loss"][-1] < fc.history_["loss"][0]
    loaded = lstm_toolkit.load(fc.save(tmp_path / "peephole"))
    assert isinstance(loaded.model_.get_layer("peephole_1"), PeepholeLSTM)
    np.testing.assert_allclose(loaded.predict(df).to_numpy(), fc.predict(df).to_numpy(), atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "peephole"])
def test_recomputed_hidden_states_equal_the_layers_own_output(cell):
    model = randomise(build_model(ModelConfig(units=(6, 5), cell=cell), lookback=12, n_features=2))
    x = RNG.normal(size=(4, 12, 2)).astype("float32")
    first = lstm_gates(model, x)
    sequence = keras.Model(model.inputs[0], model.get_layer(f"{cell}_1").output)(x)
    np.testing.assert_allclose(first["hidden"], sequence, atol=1e-5)
    second = lstm_gates(model, x, layer=f"{cell}_2")
    final = keras.Model(model.inputs[0], model.get_layer(f"{cell}_2").output)(x)  # returns its last state only
    np.testing.assert_allclose(second["hidden"][:, -1], final, atol=1e-5)
    assert set(second) >= {"forget", "input", "candidate", "output", "cell", "hidden"}
    np.testing.assert_allclose(second["cell"][:, 1:], second["forget"][:, 1:] * second["cell"][:, :-1]
                               + second["input"][:, 1:] * second["candidate"][:, 1:], atol=1e-12)


def test_layer_choice_errors_name_the_layers():
    model = build_model(ModelConfig(units=(4, 3)), lookback=5, n_features=1)
    with pytest.raises(ConfigError, match=r"\['lstm_1', 'lstm_2'\]"):
        lstm_gates(model, np.zeros((1, 5, 1)), layer="gru_1")
    with pytest.raises(ConfigError, match="index"):
        lstm_gates(model, np.zeros((1, 5, 1)), layer=2)
    bidirectional = build_model(ModelConfig(units=(4,), bidirectional=True), lookback=5, n_features=1)
    with pytest.raises(ConfigError, match="bidirectional"):
        lstm_gates(bidirectional, np.zeros((1, 5, 1)))


def test_unscaled_inputs_warn_about_saturated_gates_and_the_summary_shows_it():
    model = randomise(build_model(ModelConfig(units=(6,), window_norm="none"), lookback=20, n_features=1), scale=1.0)
    scaled = RNG.normal(size=(8, 20, 1))
    quiet = gate_summary(lstm_gates(model, scaled))[0]
    with pytest.warns(GateSaturationWarning, match="Scale the inputs"):
        raw = lstm_gates(model, scaled * 500.0)
    loud, per_unit = gate_summary(raw)
    assert (loud["saturated"] > quiet["saturated"]).all()
    assert per_unit["mean_forget"].between(0, 1).all() and len(per_unit) == 6


def test_gate_plots_show_the_chosen_units():
    model = randomise(build_model(ModelConfig(units=(10,), window_norm="none"), lookback=8, n_features=1))
    gates = lstm_gates(model, RNG.normal(size=(2, 8, 1)))
    figure = plot_gates(gates, sample=1, units=4)
    assert figure.axes[0].get_images()[0].get_array().shape == (4, 8)
    assert len(plot_cell_state(gates, units=3).axes[0].get_lines()) == 3
    assert len(plot_forget_per_unit(gates).axes[0].patches) == 10


# --- attention encoder-decoder ---------------------------------------------------------


def test_seq2seq_forecaster_trains_saves_and_shows_its_attention(tmp_path):
    from lstm_toolkit.plotting import plot_attention

    df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:900]
    fc = Forecaster(lookback=24, horizon=6, target="temp", model=ModelConfig(units=(8,), architecture="seq2seq"),
                    epochs=2, verbose=0, seed=0, refit=False).fit(df.iloc[:800])
    assert fc.history_["loss"][-1] < fc.history_["loss"][0]
    loaded = lstm_toolkit.load(fc.save(tmp_path / "seq2seq"))
    np.testing.assert_allclose(loaded.predict(df).to_numpy(), fc.predict(df).to_numpy(), atol=1e-6)
    windows = fc.windows(df, ends=np.array([100, 200, 300]))
    weights = attention_weights(loaded.model_, windows)
    assert weights.shape == (3, 6, 24)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    assert plot_attention(weights, sample=2).axes[0].get_images()[0].get_array().shape == (6, 24)


@pytest.mark.parametrize("cell, attention", [("gru", "additive"), ("peephole", "dot"), ("lstm", "none")])
def test_seq2seq_variants_build_and_forecast_every_step(cell, attention):
    config = ModelConfig(units=(6, 5), cell=cell, architecture="seq2seq", attention=attention, dense_units=(4,))
    model = build_model(config, lookback=10, n_features=2, horizon=4, n_targets=2)
    assert tuple(model(np.zeros((3, 10, 2), "float32")).shape) == (3, 4, 2)
    assert model.get_layer(f"decoder_{cell}").return_sequences
    assert ("attention" in [layer.name for layer in model.layers]) == (attention != "none")
    if cell != "gru":  # the inspector opens the encoder layers, not the decoder (which starts from their state)
        assert [layer.name for layer in lstm_toolkit.gates.lstm_layers(model)] == [f"{cell}_1", f"{cell}_2"]


def test_seq2seq_refuses_what_cannot_work():


    with pytest.raises(ConfigError, match="bidirectional"):
        ModelConfig(architecture="seq2seq", bidirectional=True)
    with pytest.raises(ConfigError, match="attention"):
        ModelConfig(architecture="seq2seq", attention="cosine")
    df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:300]
    with pytest.raises(ConfigError, match="stateful"):
        Forecaster(lookback=12, target="temp", stateful=True, model=ModelConfig(architecture="seq2seq"),
                   epochs=1, verbose=0).fit(df)
    stacked = build_model(ModelConfig(units=(4,)), lookback=5, n_features=1)
    with pytest.raises(ConfigError, match="no attention layer"):
        attention_weights(stacked, np.zeros((1, 5, 1)))


def test_seq2seq_decoder_reads_the_calendar_of_the_forecast_steps(tmp_path):
    df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:700]
    fc = Forecaster(lookback=24, horizon=6, target="temp", calendar=("hour",),
                    model=ModelConfig(units=(8,), architecture="seq2seq"), epochs=1, verbose=0, seed=0).fit(df.iloc[:600])
    assert [tensor.name for tensor in fc.model_.inputs] == ["window", "future"]
    windows = fc.windows(df, ends=np.array([100, 200]))
    future = np.random.default_rng(0).normal(size=(2, 6, fc.model_.inputs[1].shape[-1])).astype("float32")
    first = fc.predict_windows(windows, future=future)
    second = fc.predict_windows(windows, future=future[:, ::-1].copy())
    assert np.abs(first - second).max() > 1e-4  # the decoder reads the future calendar...
    last_step = future.copy()
    last_step[:, -1] += 1.0
    changed = np.abs(fc.predict_windows(windows, future=last_step) - first).max(axis=(0, 2))
    np.testing.assert_allclose(changed[:-1], 0.0, atol=1e-6)  # ... and step k only reads the calendar up to step k
    assert changed[-1] > 1e-5
    forecast = fc.predict(df.iloc[:600])
    stream = fc.streamer()
    for timestamp, value in df["temp"].iloc[560:600].items():
        streamed = stream.update(value, timestamp=timestamp)
    np.testing.assert_allclose(streamed, forecast.to_numpy(), atol=1e-5)
    loaded = lstm_toolkit.load(fc.save(tmp_path / "calendar_seq2seq"))
    np.testing.assert_allclose(loaded.predict(df.iloc[:600]).to_numpy(), forecast.to_numpy(), atol=1e-6)
    assert len(fc.backtest(df)) == (700 - 600 - 6 + 1) * 6 and fc.evaluate(df).loc["model", "MAE"] > 0
    with pytest.raises(ConfigError, match="known ahead over the forecast steps"):
        fc.export(tmp_path / "model.tflite")
    stacked = build_model(ModelConfig(units=(4,)), lookback=5, n_features=2, horizon=2, n_future=1)
    assert "with_future" in [layer.name for layer in stacked.layers]  # a stacked model joins them to its state


def test_search_space_can_choose_the_architecture():
    import keras_tuner

    from lstm_toolkit.tuning import SearchSpace

    space = SearchSpace(architecture=("stacked", "seq2seq"), attention=("dot", "additive"), bidirectional=(True,),
                        cell=("lstm", "peephole"))
    hp = keras_tuner.HyperParameters()
    hp.values["architecture"] = "seq2seq"
    values = space.declare(hp)
    assert values["architecture"] in ("stacked", "seq2seq") and values["attention"] in ("dot", "additive")
    assert values["bidirectional"] == (values["architecture"] == "stacked")
    with pytest.raises(ConfigError, match="architecture"):
        SearchSpace(architecture=("transformer",))


def test_forecaster_windows_are_what_the_model_sees():
    df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:400]
    fc = Forecaster(lookback=24, horizon=3, target="temp", model=ModelConfig(units=(4,)), epochs=1, verbose=0,
                    seed=0).fit(df.iloc[:300])
    windows = fc.windows(df, ends=[23, 399])
    assert windows.shape == (2, 24, 1)
    np.testing.assert_allclose(fc.model_(windows[1:]).numpy()[0], fc.scaler_.transform(fc.predict(df).to_numpy()),
                               atol=1e-4)
    assert len(fc.windows(df)) == 400 // 24
    with pytest.raises(lstm_toolkit.DataError, match=r"`ends` must be row positions from 23 .* to 399 for these 400 rows\. Received: \[5\]"):
        fc.windows(df, ends=[5])
    # The inspector takes the fitted Forecaster itself, and names windows it cannot read (a wrong shape ran a
    # matmul error, NaN gave NaN gates, a Forecaster ended in AttributeError).
    for name, value in lstm_gates(fc, windows).items():
        np.testing.assert_array_equal(value, lstm_gates(fc.model_, windows)[name])
    with pytest.raises(ConfigError, match="received a Forecaster that is not fitted: call fit first"):
        lstm_gates(Forecaster(), windows)
    for bad, message in ((np.zeros((2, 24, 3)), r"\(batch, 24, 1\); received shape \(2, 24, 3\)"),
                         (np.zeros((24, 1)), r"received shape \(24, 1\)\. A Forecaster's are `fc.windows\(data\)`"),
                         (np.full((1, 24, 1), np.nan), "NaN or inf")):
        for inspect in (lstm_gates, attention_weights):
            with pytest.raises(lstm_toolkit.DataError, match=message):
                inspect(fc, bad)
    with pytest.raises(lstm_toolkit.DataError, match=r"lacks \['forget', 'input'"):
        gate_summary({"hidden": windows})
