"""The trainings of one `fit` reuse a compiled model of the same form (`forecasting.compiled`): one trace, same forecast."""

import numpy as np
import pandas as pd
import pytest

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.forecasting import compiled
from lstm_toolkit.models import WindowNormalization


def _daily_cycle():
    # 96 hours of a daily cycle through a 12-hour window: a network beats the naive reference, so the fit trains the
    # selection run, a network at each of four rolling origins (the validation part holds one window) and the refit.
    steps = np.arange(96)
    return pd.DataFrame({"y": np.sin(2 * np.pi * steps / 24)}, index=pd.date_range("2024-01-01", periods=96, freq="h"))


def _fit(data):
    return Forecaster(target="y", lookback=12, horizon=6, model=ModelConfig(units=(8,)), epochs=30, learning_rate=0.01,
                      verbose=0, seed=0, level_member=False).fit(data)


def _normalization(model):
    return next(layer for layer in model.layers if isinstance(layer, WindowNormalization))


@pytest.mark.filterwarnings("ignore::lstm_toolkit.errors.ShortLookbackWarning")  # a 12-hour window of a daily cycle
def test_a_short_fit_traces_a_training_step_per_model_in_use_and_forecasts_as_fresh_models_do(
        traced_models, monkeypatch, tmp_path):
    data = _daily_cycle()
    reused = _fit(data)
    assert reused.reference_fallback_ is None  # the network was kept: selection run, 4 origins and the refit trained
    # The origins train in the selection run's model, lent and put back; the refit trains in it too: one trace.
    assert len(traced_models) == 1
    # The refit's normalisation holds the scales fit on all the data, not those of an earlier training in that model.
    layer = _normalization(reused.model_)
    np.testing.assert_allclose(layer.input_scale, reused.problem_.norm_scales[0], rtol=1e-6)
    np.testing.assert_allclose(layer.delta_scale, reused.problem_.norm_scales[1], rtol=1e-6)

    traced_models.clear()
    monkeypatch.setattr(compiled.CompiledModels, "take", lambda self, fresh, config, n_samples: None)
    fresh = _fit(data)
    assert len(traced_models) == 6  # every training traced its own model
    pd.testing.assert_frame_equal(reused.predict(data), fresh.predict(data))
    loaded = lstm_toolkit.load(reused.save(tmp_path / "reused"))
    pd.testing.assert_frame_equal(loaded.predict(data), reused.predict(data))


def test_the_refit_trains_as_the_selection_run_settled_in_its_model_and_probes_xla_no_more(traced_models, monkeypatch):
    from lstm_toolkit.training import STEPS_PER_EXECUTION, xla

    probed = []

    def probe(model, train):  # XLA's probe, decided without timing: not faster here
        probed.append(model)
        model.jit_compile = False
        return False

    monkeypatch.setattr(xla, "xla_pays", lambda *args, **kwargs: True)
    monkeypatch.setattr(xla, "choose_jit_compile", probe)
    # 594 training windows x 50 planned epochs: the selection run plans XLA and 16 steps per execution. Noise stops
    # it early, so the refit replays a few epochs.
    noise = np.random.default_rng(0).normal(size=864)
    data = pd.DataFrame({"y": noise}, index=pd.date_range("2024-01-01", periods=864, freq="h"))
    fitted = Forecaster(target="y", lookback=24, horizon=6, model=ModelConfig(units=(8,)), verbose=0, seed=0,
                        level_member=False, reference_fallback=False).fit(data)
    assert len(fitted.history_["loss"]) < 50  # the refit replays fewer epochs: alone it would plan neither
    assert len(probed) == 1  # the selection run's probe; the refit keeps its choice
    assert len(traced_models) == 1 and fitted.model_ is traced_models[0]  # and trains in its compiled model
    assert fitted.model_.steps_per_execution == STEPS_PER_EXECUTION and fitted.model_.jit_compile is False


def test_a_model_in_use_is_not_handed_out_and_another_form_is_not_taken():
    from lstm_toolkit.models import build_model
    from lstm_toolkit.training import TrainingConfig, compile_model

    models, config = compiled.CompiledModels(), TrainingConfig(epochs=2, verbose=0)
    first = build_model(ModelConfig(units=(4,), window_norm="last"), lookback=6, n_features=1)
    models.adopt(first, compile_model(first, config), config)
    again = build_model(ModelConfig(units=(4,), window_norm="last"), lookback=6, n_features=1)
    assert models.take(again, config, n_samples=10) is None  # in use
    models.release(first)
    models.release(first)  # twice: still one free model, handed out once
    wider = build_model(ModelConfig(units=(5,), window_norm="last"), lookback=6, n_features=1)
    assert models.take(wider, config, n_samples=10) is None  # another form
    faster = TrainingConfig(epochs=2, verbose=0, learning_rate=0.01)
    assert models.take(again, faster, n_samples=10) is None  # another compile
    first.optimizer.iterations.assign(7)
    taken, _ = models.take(again, config, n_samples=10)
    assert taken is first and int(first.optimizer.iterations) == 0
    for kept, source in zip(first.variables, again.variables):  # the fresh model's initial weights and scales
        np.testing.assert_array_equal(np.asarray(kept), np.asarray(source))
    assert models.take(again, config, n_samples=10) is None  # handed out: in use again


def test_a_lent_model_comes_back_as_it_was_and_in_use():
    from lstm_toolkit.models import build_model
    from lstm_toolkit.training import TrainingConfig, compile_model

    models, config = compiled.CompiledModels(), TrainingConfig(epochs=2, verbose=0)
    first = build_model(ModelConfig(units=(4,), window_norm="last"), lookback=6, n_features=1)
    trainable = compile_model(first, config)
    models.adopt(first, trainable, config)
    trainable.optimizer.build(trainable.trainable_variables)
    trainable.optimizer.iterations.assign(5)
    before = [np.asarray(variable).copy() for variable in first.variables]
    with models.lent(first):
        other = build_model(ModelConfig(units=(4,), window_norm="last"), lookback=6, n_features=1)
        taken, _ = models.take(other, config, n_samples=10)  # a training in the block takes it, with new weights
        assert taken is first and int(trainable.optimizer.iterations) == 0
        models.release(taken)
    for variable, value in zip(first.variables, before):
        np.testing.assert_array_equal(np.asarray(variable), value)
    assert int(trainable.optimizer.iterations) == 5
    assert models.take(other, config, n_samples=10) is None  # the lender's again: not handed out
    with models.lent(other):  # never adopted: nothing is lent
        assert models.take(other, config, n_samples=10) is None


@pytest.mark.parametrize("mode", ["drift", "es"])
def test_the_scales_are_variables_that_a_bundle_saves(mode, tmp_path):
    import keras

    layer = WindowNormalization(mode, horizon=2, input_scale=[2.0], delta_scale=[3.0])
    inputs = keras.Input((4, 1))
    model = keras.Model(inputs, layer(inputs)[0])
    assert layer.input_scale == [2.0] and layer.delta_scale == [3.0]
    layer.non_trainable_weights[0].assign([5.0])  # as a reused model takes a new training's scales
    assert layer.get_config()["input_scale"] == [5.0]
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[1].input_scale == [5.0]
    x = np.arange(4, dtype="float32").reshape(1, 4, 1)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)))
