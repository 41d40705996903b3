import json

import keras
import numpy as np
import pytest

from lstm_toolkit.errors import ConfigError
from lstm_toolkit.models import ModelConfig, build_model, forecast_reference_only, reference_forecast


def recurrent_layers(model):
    found = []
    for layer in model.layers:
        inner = getattr(layer, "forward_layer", layer)
        if isinstance(inner, (keras.layers.LSTM, keras.layers.GRU)):
            found.append(inner)
    return found


def test_the_tutorial_model_is_one_config_away():
    config = ModelConfig(units=(128, 64), dropout=0.2, dense_units=(32,))
    model = build_model(config, lookback=60, n_features=1, horizon=1, n_targets=1)
    trained = sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)
    assert trained == 118_081  # the tutorial's weights; beside them, the window normalisation's two scale vectors
    assert [weight.name for weight in model.non_trainable_weights] == ["input_scale", "delta_scale"]
    assert model.input_shape == (None, 60, 1)
    assert model.output_shape == (None, 1, 1)


@pytest.mark.parametrize("cell, layer_type", [("lstm", keras.layers.LSTM), ("gru", keras.layers.GRU)])
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_every_recurrent_layer_but_the_last_returns_sequences(cell, layer_type, depth, bidirectional):
    config = ModelConfig(units=(8,) * depth, cell=cell, bidirectional=bidirectional, dropout=0.1)
    model = build_model(config, lookback=5, n_features=2, horizon=3, n_targets=2)
    layers = recurrent_layers(model)
    assert len(layers) == depth
    assert all(isinstance(layer, layer_type) for layer in layers)
    assert [layer.return_sequences for layer in layers] == [True] * (depth - 1) + [False]
    assert model.output_shape == (None, 3, 2)
    dropouts = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert len(dropouts) == depth


def test_default_layers_stay_cudnn_compatible():
    model = build_model(ModelConfig(units=(16, 16)), lookback=5, n_features=1)
    for layer in recurrent_layers(model):
        assert layer.activation.__name__ == "tanh"
        assert layer.recurrent_activation.__name__ == "sigmoid"
        assert layer.recurrent_dropout == 0 and not layer.unroll and layer.use_bias


def test_recurrent_dropout_warns_about_cudnn():
    with pytest.warns(UserWarning, match="cuDNN"):
        build_model(ModelConfig(units=(4,), recurrent_dropout=0.1), lookback=3, n_features=1)


def test_config_round_trips_through_json():
    config = ModelConfig(units=[32, 16], cell="gru", bidirectional=True, dropout=0.3, dense_units=16, window_norm="mean")
    restored = ModelConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert restored == config
    assert restored.units == (32, 16) and restored.dense_units == (16,)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": ()}, "units"),
        ({"units": (0,)}, "units"),
        ({"cell": "rnn"}, "cell='rnn'"),
        ({"dropout": 1.0}, "dropout=1.0"),
        ({"window_norm": "diff"}, "window_norm='diff'"),
        ({"bidirectional": "yes"}, "bidirectional='yes'"),
        ({"highway": 1}, r"`highway` must be True, False or 'auto'. Received: highway=1"),
    ],
)
def test_bad_configs_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"lookback": 0}, "`lookback` must be a positive integer. Received: lookback=0"),  # built a window of no steps
    ({"n_features": 0}, "`n_features` must be a positive integer"),
    ({"horizon": 2.5}, r"`horizon` must be a positive integer. Received: horizon=2.5"),  # Keras named `units`
    ({"n_targets": -1}, "`n_targets` must be a positive integer"),
    ({"n_future": -1}, r"`n_future` must be an integer >= 0"),
])
def test_build_model_refuses_sizes_that_are_not_counts(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build_model(ModelConfig(units=(4,)), **{"lookback": 4, "n_features": 1, **kwargs})
    assert build_model(ModelConfig(units=(4,)), lookback=np.int64(4), n_features=1).input_shape == (None, 4, 1)


def test_numpys_bool_is_a_bool_for_bidirectional_and_highway():
    config = ModelConfig(bidirectional=np.True_, highway=np.False_)  # as a tuner's choice or a mask's element may give it
    assert config.bidirectional is True and config.highway is False
    assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_window_norm_needs_targets_among_the_inputs():
    with pytest.raises(ConfigError, match="every target must also be an input"):
        build_model(ModelConfig(units=(4,), window_norm="last"), 5, 2, target_channels=[None])


@pytest.mark.parametrize("members", [1, 2])
def test_forecast_reference_only_makes_the_model_its_reference_forecast(members):
    config = ModelConfig(units=(8,), window_norm="drift", season_length=3, members=members, highway=True)
    model = build_model(config, lookback=6, n_features=2, horizon=4, n_targets=1, target_channels=[0],
                        norm_scales=([2.0, 1.0], [0.5, 1.0]))
    x = np.random.default_rng(1).normal(size=(5, 6, 2)).astype("float32")
    trained = model.predict(x, verbose=0)
    assert forecast_reference_only(model) == 2 * members  # each member's output layer and highway
    reference = np.asarray(reference_forecast(x, "drift", 4, 3))[..., :1]
    np.testing.assert_allclose(model.predict(x, verbose=0), reference, rtol=1e-5, atol=1e-6)
    assert not np.allclose(trained, reference)


def test_forecast_reference_only_leaves_an_output_activation_it_cannot_zero():
    model = build_model(ModelConfig(units=(4,), window_norm="last", output_activation="sigmoid"), lookback=5,
                        n_features=1)
    x = np.random.default_rng(2).normal(size=(3, 5, 1)).astype("float32")
    before = model.predict(x, verbose=0)
    assert forecast_reference_only(model) == 0  # sigmoid(0) is 0.5: zero weights would not give the reference
    np.testing.assert_array_equal(model.predict(x, verbose=0), before)


def test_window_norm_model_is_level_invariant_and_saves_safely(tmp_path):
    config = ModelConfig(units=(8,), window_norm="last")
    model = build_model(config, lookback=6, n_features=2, horizon=2, n_targets=1, target_channels=[1])
    x = np.random.default_rng(0).normal(size=(3, 6, 2)).astype("float32")
    shifted = x.copy()
    shifted[:, :, 1] += 100.0
    base, moved = model.predict(x, verbose=0), model.predict(shifted, verbose=0)
    np.testing.assert_allclose(moved - base, 100.0, rtol=1e-4)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(restored.predict(x, verbose=0), base, rtol=1e-6)


def test_moved_names_still_resolve_with_a_warning():
    import lstm_toolkit.data as data
    from lstm_toolkit import models
    from lstm_toolkit.models import cells

    with pytest.warns(DeprecationWarning, match="moved to lstm_toolkit.models.WindowNormalization"):
        assert data.WindowNormalization is models.WindowNormalization
    with pytest.raises(AttributeError):
        data.NoSuchName  # noqa: B018
    assert cells.PeepholeLSTM is models.PeepholeLSTM
