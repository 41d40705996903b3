"""Seed ensembles in one model, refitting on all the data after choosing the epochs, the ES window normalisation, the linear
highway and the fallback to the reference forecast."""

import numpy as np
import pandas as pd
import keras
import pytest
import tensorflow as tf

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.cli.forecasting import forecaster_name
from lstm_toolkit.data import WindowedSeries
from lstm_toolkit.errors import ConfigError, ReferenceFallbackWarning
from lstm_toolkit.forecasting import fitting, judging, refit
from lstm_toolkit.forecasting.likelihoods import likelihood_for
from lstm_toolkit.forecasting.strategies import strategy_for
from lstm_toolkit.models import build_model, forecast_reference_only
from lstm_toolkit.models.ensemble import MemberMedian, members_model, n_members
from lstm_toolkit.models.denormalization import WindowDenormalization
from lstm_toolkit.models.normalization import ES_INITIAL, WindowNormalization, window_norm_scales
from lstm_toolkit.training import TrainingConfig, compile_model, default_callbacks

TINY = ModelConfig(units=(8,))


@pytest.fixture(scope="module")
def monthly():
    return lstm_toolkit.datasets.load("euro_electrical_equipment_monthly")


def small(**kwargs):
    settings = dict(lookback=24, horizon=6, model=TINY, epochs=3, verbose=0, seed=0, reference_fallback=False,
                    level_member=False)  # one network and its reference (test_level.py: a second network beside it)
    return Forecaster(**{**settings, **kwargs})


# --- ensembles ----------------------------------------------------------------------------


def test_member_median_is_the_element_wise_median():
    rng = np.random.default_rng(0)
    for count in (3, 4):
        outputs = [rng.normal(size=(2, 5, 1)).astype("float32") for _ in range(count)]
        combined = np.asarray(MemberMedian()(outputs))
        np.testing.assert_allclose(combined, np.median(np.stack(outputs), axis=0), rtol=1e-6)


def test_an_ensemble_forecasts_the_median_of_differently_initialised_members(monthly, tmp_path):
    fc = small(ensemble=3, refit=False).fit(monthly.iloc[:200])
    assert fc.model_config_.members == 3 and n_members(fc.model_) == 3
    members = members_model(fc.model_)
    window = fc.problem_.spec  # one window of the scaled data, as the model reads it
    x = np.random.default_rng(1).normal(size=(4, window.lookback, window.n_features)).astype("float32")
    outputs = np.stack([np.asarray(o) for o in members(x)])
    assert not np.allclose(outputs[0], outputs[1])  # initialised (and so trained) differently
    np.testing.assert_allclose(np.asarray(fc.model_(x)), np.median(outputs, axis=0), rtol=1e-5, atol=1e-6)
    # every member trained on its own loss: each one's loss is logged, and falls on the validation windows (the
    # training figure is Keras' mean over batches, whose last, small one changes with the shuffled order)
    for m in (1, 2, 3):
        assert len(fc.history_[f"member_{m}_loss"]) == 3
        losses = fc.history_[f"val_member_{m}_loss"]
        assert losses[-1] < losses[0]
    fc.save(tmp_path / "ensemble")
    loaded = Forecaster.load(tmp_path / "ensemble")
    pd.testing.assert_frame_equal(loaded.predict(monthly.iloc[:200]), fc.predict(monthly.iloc[:200]))


def test_a_probabilistic_ensemble_averages_the_members_quantiles(monthly):
    fc = small(ensemble=2, loss="quantile", quantiles=(0.1, 0.5, 0.9), refit=False).fit(monthly.iloc[:200])
    x = np.zeros((1, 24, 1), "float32") + np.linspace(-1, 1, 24, dtype="float32")[None, :, None]
    outputs = [np.asarray(o) for o in members_model(fc.model_)(x)]
    np.testing.assert_allclose(np.asarray(fc.model_(x)), np.mean(outputs, axis=0), rtol=1e-5, atol=1e-6)
    forecast = fc.predict(monthly.iloc[:200])
    assert (forecast["index_value_q0.1"] <= forecast["index_value_q0.9"]).all()


def test_ensemble_is_refused_where_it_cannot_work():
    with pytest.raises(ConfigError, match="ensemble=3 and ModelConfig\\(members=2\\) disagree"):
        small(ensemble=3, model=ModelConfig(units=(8,), members=2)).prepare(_ramp())
    with pytest.raises(ConfigError, match="not built for stateful=True"):
        small(ensemble=2, stateful=True).prepare(_ramp())
    with pytest.raises(ConfigError, match="positive integer"):
        small(ensemble=0).prepare(_ramp())


def test_build_model_with_members_combines_point_forecasts_by_median():
    model = build_model(ModelConfig(units=(4,), members=3), lookback=6, n_features=1, horizon=2)
    assert type(model.get_layer("ensemble")).__name__ == "MemberMedian"
    assert len(members_model(model).outputs) == 3
    gaussian = build_model(ModelConfig(units=(4,), members=2), lookback=6, n_features=1, horizon=2, loss="gaussian")
    assert type(gaussian.get_layer("ensemble")).__name__ == "Average"


# --- refit ----------------------------------------------------------------------------------


def _ramp(rows=160):
    index = pd.date_range("2000-01-01", periods=rows, freq="MS")
    steps = np.arange(rows)
    return pd.DataFrame({"y": 100 + steps + 5 * np.sin(2 * np.pi * steps / 12)}, index=index)


def test_refit_trains_on_all_the_data_for_the_epochs_chosen_on_validation(monthly):
    data = monthly.iloc[:200]
    fc = small(epochs=6, patience=2, refit=True).fit(data)
    chosen = refit.best_epochs({"val_loss": fc.history_["selection_val_loss"]})
    assert len(fc.history_["loss"]) == chosen  # the final run trained for the best epoch count
    assert fc.history_["learning_rate"] == fc.history_["selection_learning_rate"][:chosen]  # replayed schedule
    assert fc.scaler_.estimator_.n_samples_seen_ == 200  # scaler and windows: every row given to fit
    assert fc.fit_end_ == data.index[-1]
    assert "val_loss" not in fc.history_
    kept = small(epochs=6, patience=2, refit=False).fit(data)
    assert kept.scaler_.estimator_.n_samples_seen_ < 200 and "val_loss" in kept.history_


def test_refit_auto_refits_small_trainings_only():
    assert refit.wanted("auto", refit.REFIT_MAX_WINDOWS - 1, 10)
    assert not refit.wanted("auto", refit.REFIT_MAX_WINDOWS, 10)
    assert not refit.wanted("auto", 100, 0)  # nothing to choose the epochs on
    assert not refit.wanted("auto", 100, 10, stateful=True)
    with pytest.raises(ConfigError, match="no validation window"):
        refit.wanted(True, 100, 0)
    with pytest.raises(ConfigError, match="stateful model or a multi-worker"):
        refit.wanted(True, 100, 10, multi_worker=True)
    with pytest.raises(ConfigError, match="`refit` must be True, False or 'auto'"):
        refit.wanted("always", 100, 10)


def test_a_validation_fraction_too_small_for_one_window_takes_one_window():
    fc = small(lookback=24, horizon=12, validation=0.1, model=TINY)
    series = fc.prepare(_ramp(108))  # 10% is 11 rows: fewer than the horizon
    assert series.bounds["validation"] == (96, 108) and series.n_windows("validation") == 1


# --- the ES normalisation -------------------------------------------------------------------


def _es_reference(x, horizon, season, alpha, gamma):
    """Plain NumPy: seasonal indices and level by exponentially weighted means, as documented."""
    lookback = x.shape[1]
    cycles = lookback // season
    tail = x[:, lookback - cycles * season:].reshape(len(x), cycles, season)
    centred = tail - tail.mean(axis=2, keepdims=True)
    w = (1 - gamma) ** np.arange(cycles - 1, -1, -1)
    indices = (centred * (w / w.sum())[None, :, None]).sum(axis=1)
    seasonal = indices[:, [(t - lookback) % season for t in range(lookback)]]
    v = (1 - alpha) ** np.arange(lookback - 1, -1, -1)
    level = ((x - seasonal) * (v / v.sum())).sum(axis=1, keepdims=True)
    return x - seasonal - level, level + indices[:, [h % season for h in range(horizon)]]


def test_es_normalisation_matches_exponential_smoothing_and_is_undone_exactly():
    rng = np.random.default_rng(0)
    steps = np.arange(36)
    x = (np.sin(2 * np.pi * steps / 12)[None] * rng.uniform(1, 3, size=(3, 1)) + rng.normal(size=(3, 36)).cumsum(1))
    layer = WindowNormalization("es", horizon=5, season_length=12)
    normalised, shift, scale = (np.asarray(part) for part in layer(x[..., None].astype("float32")))
    expected_inputs, expected_shift = _es_reference(x, 5, 12, *ES_INITIAL)
    np.testing.assert_allclose(normalised[..., 0], expected_inputs, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(shift[..., 0], expected_shift, rtol=1e-4, atol=1e-4)
    restored = WindowDenormalization([0])([np.zeros((3, 5, 1), "float32"), shift, scale])
    np.testing.assert_allclose(np.asarray(restored)[..., 0], expected_shift, rtol=1e-5)
    assert [w.name for w in layer.trainable_weights] == ["alpha_logit", "gamma_logit"]


def test_es_scales_are_the_spreads_around_the_smoothed_reference():
    x = np.random.default_rng(1).normal(size=(50, 24, 1)).cumsum(axis=1)
    targets = x[:, -1:, :] + 2.0
    input_scale, delta_scale = window_norm_scales(x, targets, "es", [0], season_length=1)
    normalised = _es_reference(x[..., 0], 1, 1, *ES_INITIAL)[0]
    assert input_scale[0] == pytest.approx(np.sqrt(np.mean(normalised**2)), rel=1e-4)
    assert delta_scale[0] > 0


def test_a_forecaster_learns_its_smoothing_coefficients(monthly, tmp_path):
    fc = small(model=ModelConfig(units=(8,), window_norm="es"), epochs=3, refit=False, learning_rate=0.05)
    fc.fit(monthly.iloc[:200])
    alpha_logit = fc.model_.get_layer("window_norm").get_weights()[0]
    assert not np.allclose(alpha_logit, np.log(ES_INITIAL[0] / (1 - ES_INITIAL[0])))
    fc.save(tmp_path / "es")
    loaded = Forecaster.load(tmp_path / "es")
    pd.testing.assert_frame_equal(loaded.predict(monthly.iloc[:200]), fc.predict(monthly.iloc[:200]))


def test_an_es_ensemble_exports_to_litert_and_matches_keras(monthly, tmp_path, litert_forecast):
    fc = small(model=ModelConfig(units=(8,), window_norm="es"), ensemble=3, epochs=1, refit=False).fit(monthly.iloc[:200])
    window = fc.windows(monthly.iloc[:200], ends=[199])
    exported = litert_forecast(fc.export(tmp_path / "es.tflite", format="litert"), window)
    np.testing.assert_allclose(exported, fc.predict_windows(window), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["drift", "seasonal_drift"])
def test_drift_references_export_to_litert_and_match_keras(monthly, tmp_path, litert_forecast, mode):
    fc = small(model=ModelConfig(units=(8,), window_norm=mode, highway=True), epochs=1, refit=False).fit(monthly.iloc[:200])
    assert fc.model_config_.window_norm == mode and fc.model_config_.season_length == 12
    window = fc.windows(monthly.iloc[:200], ends=[199])
    exported = litert_forecast(fc.export(tmp_path / f"{mode}.tflite", format="litert"), window)
    np.testing.assert_allclose(exported, fc.predict_windows(window), rtol=1e-4, atol=1e-4)


# --- the linear highway -------------------------------------------------------------------


def _zero_network_head(model, keep=("highway",)):
    """Zeroes every Dense layer's weights but the highway's: the model's output is then the highway's alone."""
    for layer in model.layers:
        if isinstance(layer, lstm_toolkit.backend.keras.layers.Dense) and layer.name not in keep:
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])


def test_the_highway_adds_a_linear_map_of_the_window_and_starts_at_zero():
    config = ModelConfig(units=(8,), window_norm="none", highway=True)
    model = build_model(config, lookback=6, n_features=2, horizon=3, n_targets=1)
    highway = model.get_layer("highway")
    assert not np.any(highway.get_weights()[0])  # a fresh model's highway adds nothing yet
    _zero_network_head(model)
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(12, 3)).astype("float32")
    highway.set_weights([kernel])
    x = rng.normal(size=(5, 6, 2)).astype("float32")
    expected = (x.reshape(5, -1) @ kernel)[..., None]
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-5, atol=1e-5)
    plain = build_model(ModelConfig(units=(8,)), lookback=6, n_features=2)  # off unless asked for
    assert "highway" not in [layer.name for layer in plain.layers]


def test_the_highway_moves_a_quantile_forecast_without_changing_its_spread():
    config = ModelConfig(units=(8,), window_norm="none", highway=True)
    model = build_model(config, lookback=6, n_features=1, horizon=2, loss="quantile")
    _zero_network_head(model)
    x = np.random.default_rng(0).normal(size=(3, 6, 1)).astype("float32")
    before = np.asarray(model(x))
    kernel = np.random.default_rng(1).normal(size=(6, 2)).astype("float32")
    model.get_layer("highway").set_weights([kernel])
    moved = np.asarray(model(x)) - before  # (batch, horizon, target, quantile): every quantile by its step's shift
    shift = x.reshape(3, -1) @ kernel
    np.testing.assert_allclose(moved, np.broadcast_to(shift[:, :, None, None], moved.shape), atol=1e-5)


def test_the_forecasters_highway_is_on_for_window_models_and_off_for_stateful_ones(monthly):
    assert Forecaster.DEFAULT_MODEL.highway == "auto"
    window = small(epochs=1, refit=False, model=None).fit(monthly.iloc[:120])
    assert window.model_config_.highway is True and window.model_.get_layer("highway") is not None
    stateful = small(epochs=1, stateful=True, model=ModelConfig(units=(8,), highway="auto")).fit(monthly.iloc[:120])
    assert stateful.model_config_.highway is False
    with pytest.raises(ConfigError, match="highway=True"):
        small(epochs=1, stateful=True, model=ModelConfig(units=(8,), highway=True)).fit(monthly.iloc[:120])


def test_highway_must_be_a_bool_or_auto():
    assert ModelConfig.from_dict(ModelConfig(highway="auto").to_dict()).highway == "auto"
    for bad in ("yes", 1, None):
        with pytest.raises(ConfigError, match="highway"):
            ModelConfig(highway=bad)


# --- the fallback to the reference forecast ---------------------------------------------------


def _walk(rows=150):
    """A monthly random walk: no forecast beats the last value (naive), so any correction a network adds is a loss."""
    values = 50.0 + np.cumsum(np.random.default_rng(0).normal(size=rows))
    return pd.DataFrame({"y": values}, index=pd.date_range("2000-01-01", periods=rows, freq="MS"))


def test_a_network_worse_than_its_reference_on_validation_gives_way_to_it(tmp_path):
    data = _walk()
    with pytest.warns(ReferenceFallbackWarning, match=r"the last value \(naive\) \(window_norm='last'\)"):
        fc = small(target="y", epochs=2, learning_rate=5.0, reference_fallback=True).fit(data)  # a rate that spoils it
    record = fc.reference_fallback_
    assert record["window_norm"] == fc.model_config_.window_norm == "last"
    assert record["network_val_loss"] - record["reference_val_loss"] >= -record["standard_error"]
    # No network is refit after it; the scaler and the reference are chosen again on all the data, as for a refit.
    assert "val_loss" in fc.history_ and not any(key.startswith(refit.SELECTION_PREFIX) for key in fc.history_)
    assert fc.scaler_.estimator_.n_samples_seen_ == len(data)
    expected = np.full(6, data["y"].iloc[-1])
    np.testing.assert_allclose(fc.predict(data)["y"].to_numpy(), expected, rtol=1e-5)
    assert forecaster_name(fc).startswith("The reference forecast (the last value (naive)), kept")  # the CLI says so
    restored = Forecaster.load(fc.save(tmp_path / "bundle"))
    assert restored.reference_fallback_ == record
    np.testing.assert_allclose(restored.predict(data)["y"].to_numpy(), expected, rtol=1e-5)


def test_early_stopping_takes_the_references_validation_loss_as_its_baseline(monkeypatch):
    # The network must beat its reference to be kept, so the run's patience restarts only below the reference's
    # validation loss (Keras' EarlyStopping baseline), measured before training: the judge's after it.
    passed, fit_of = [], fitting.fit
    monkeypatch.setattr(fitting, "fit", lambda *args, **kwargs: passed.append(kwargs["baseline"]) or fit_of(*args, **kwargs))
    with pytest.warns(ReferenceFallbackWarning):
        fc = small(target="y", epochs=2, learning_rate=5.0, reference_fallback=True).fit(_walk())
    assert passed[0] == pytest.approx(fc.reference_fallback_["reference_val_loss"], rel=1e-5)
    stopping = [c for c in default_callbacks(TrainingConfig(patience=3), baseline=passed[0])
                if isinstance(c, keras.callbacks.EarlyStopping)]
    assert stopping[0].baseline == passed[0] and stopping[0].patience == 3
    # Without the fallback the network is kept whatever it does: no baseline.
    passed.clear()
    small(target="y", epochs=2, learning_rate=5.0, refit=False, reference_fallback=False).fit(_walk())
    assert passed == [None]


def test_a_loss_mae_network_is_trained_early_stopped_and_judged_by_the_absolute_error(monkeypatch):
    # loss="mae" is a point forecast like "mse": the network trains on it, and early stopping's baseline and the
    # judge compare absolute errors, the error MASE scores.
    compiled, baselines = [], []
    compile_of, fit_of = fitting.compile_model, fitting.fit
    monkeypatch.setattr(fitting, "compile_model",
                        lambda model, config, **kwargs: compiled.append(kwargs.get("loss", config.loss))
                        or compile_of(model, config, **kwargs))
    monkeypatch.setattr(fitting, "fit", lambda *args, **kwargs: baselines.append(kwargs["baseline"]) or fit_of(*args, **kwargs))
    data = _walk()
    with pytest.warns(ReferenceFallbackWarning):
        fc = small(target="y", epochs=2, learning_rate=5.0, refit=False, reference_fallback=True, loss="mae").fit(data)
    assert compiled and set(compiled) == {"mae"} and not fc.probabilistic
    model = fc.model_  # the reference alone, after the fallback
    x, y = next(iter(fc.prepare(data).dataset("validation", batch_size=1000)))
    error = np.asarray(model(x)) - np.asarray(y)
    record = fc.reference_fallback_
    assert record["reference_val_loss"] == pytest.approx(np.abs(error).mean(), rel=1e-4)
    assert record["reference_val_loss"] != pytest.approx((error ** 2).mean(), rel=1e-2)
    assert baselines[0] == pytest.approx(record["reference_val_loss"], rel=1e-5)


def test_reference_fallback_false_or_a_distribution_keeps_the_network():
    data = _walk()
    fc = small(target="y", epochs=2, learning_rate=5.0, refit=False).fit(data)
    assert fc.reference_fallback_ is None and fc.model_config_.window_norm == "last"
    assert np.abs(fc.predict(data)["y"].to_numpy() - data["y"].iloc[-1]).max() > 0.01
    with pytest.raises(ConfigError, match="reference_fallback"):
        small(target="y", reference_fallback="yes").fit(data)
    # A distribution keeps its network: the reference has no spread to put in its place.
    gaussian = small(target="y", epochs=2, learning_rate=5.0, loss="gaussian", reference_fallback=True).fit(data)
    assert gaussian.reference_fallback_ is None


def test_a_network_that_beats_its_reference_is_kept():
    # A daily cycle seen through a 12-hour window: the naive and drift references cannot follow it, a network can.
    steps = np.arange(600)
    data = pd.DataFrame({"y": np.sin(2 * np.pi * steps / 24)}, index=pd.date_range("2024-01-01", periods=600, freq="h"))
    fc = small(target="y", lookback=12, horizon=3, epochs=8, learning_rate=0.01, refit=False,
               reference_fallback=True).fit(data)
    assert fc.model_config_.window_norm in ("last", "drift") and fc.reference_fallback_ is None


@pytest.mark.parametrize("eager_max_rows", [10**9, 0], ids=["eager", "compiled"])
@pytest.mark.parametrize("members", [1, 2])
def test_window_losses_average_to_the_keras_validation_loss(members, eager_max_rows, monkeypatch, compiled_passes):
    # The pass runs eagerly when it is small (3 batches x 6 steps), else through one compiled function.
    monkeypatch.setattr(lstm_toolkit.backend, "EAGER_MAX_ROWS", eager_max_rows)
    rng = np.random.default_rng(0)
    model = build_model(ModelConfig(units=(4,), window_norm="last", members=members), lookback=6, n_features=1, horizon=3)
    trainable = compile_model(members_model(model), metrics=())
    x, y = rng.normal(size=(10, 6, 1)).astype("float32"), rng.normal(size=(10, 3, 1)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, tuple([y] * members) if members > 1 else y)).batch(4)
    losses = judging.window_losses(trainable, data)
    assert losses.shape == (10, 3)
    np.testing.assert_allclose(losses.mean(), trainable.evaluate(data, verbose=0, return_dict=True)["loss"], rtol=1e-5)
    assert len(compiled_passes) == (eager_max_rows == 0)
    if compiled_passes:  # one trace for the three batches of 4, 4 and 2 windows
        assert compiled_passes[0].experimental_get_tracing_count() == 1


@pytest.mark.parametrize("config", [ModelConfig(units=(4,), window_norm="drift", highway=True, members=3),
                                    ModelConfig(units=(4,), window_norm="drift", highway=True, member_lookbacks=(3, 6))],
                         ids=["seeds", "lookbacks"])
def test_an_ensemble_is_judged_on_the_forecast_it_makes_not_on_its_members_summed_losses(config):
    rng = np.random.default_rng(0)
    model = build_model(config, lookback=6, n_features=1, horizon=2)
    for weight in model.trainable_weights:  # corrections that differ from member to member
        weight.assign(rng.normal(scale=0.3, size=weight.shape).astype("float32"))
    trainable = compile_model(members_model(model), metrics=())
    x = rng.normal(size=(10, 6, 1)).cumsum(axis=1).astype("float32")
    y = rng.normal(size=(10, 2, 1)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, tuple([y] * config.members))).batch(4)
    before = [w.copy() for w in model.get_weights()]
    network, reference = judging.paired_losses(model, trainable, data)
    np.testing.assert_allclose(network, ((np.asarray(model(x)) - y) ** 2)[..., 0], rtol=1e-4, atol=1e-6)
    members = [np.asarray(o) for o in trainable(x)]
    assert not np.allclose(network, sum(((m - y) ** 2)[..., 0] for m in members))  # what the members' form sums
    zeroed = build_model(config, lookback=6, n_features=1, horizon=2)
    zeroed.set_weights(model.get_weights())
    forecast_reference_only(zeroed)  # every member's correction at zero: the ensemble's forecast of the references
    np.testing.assert_allclose(reference, ((np.asarray(zeroed(x)) - y) ** 2)[..., 0], rtol=1e-4, atol=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_the_validation_losses_the_ridge_and_level_network_compare_are_an_ensembles_forecasts():
    data = _walk(rows=120)
    fc = small(target="y", lookback=12, horizon=4, epochs=1, ensemble=(6, 12), refit=False, linear_share=0)
    model = fc.fit(data).model_
    series = fc.prepare(data)  # the same windows again (a new problem: `model_` is let go)
    training = fitting.WindowTraining(strategy=None, likelihood=likelihood_for("mse"),
                                      config=TrainingConfig(epochs=1, verbose=0))
    losses = judging.validation_losses(training, model, fc.problem_, series)
    x, y = next(iter(series.dataset("validation", batch_size=1000)))
    np.testing.assert_allclose(losses, ((np.asarray(model(x)) - np.asarray(y)) ** 2)[..., 0], rtol=1e-4, atol=1e-6)


def test_validation_margin_of_windows_that_do_not_overlap_is_the_usual_standard_error():
    network = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    starts = [0, 2, 4]  # horizon 2: three windows with disjoint forecast rows
    assert judging.validation_margin(network, np.zeros_like(network), starts, horizon=2) == (2.0, 0.0)  # every mean is 2
    mean, error = judging.validation_margin(network[:, :1], np.zeros((3, 1)), starts, horizon=2)
    assert mean == 2.0 and error == pytest.approx(np.std([1.0, 2.0, 3.0], ddof=1) / np.sqrt(3))


def test_validation_margin_weights_overlapping_windows_by_the_rows_they_share():
    rng = np.random.default_rng(0)
    horizon, starts = 6, np.concatenate([np.arange(20), 100 + np.arange(15)])  # two series' windows, one row apart
    samples = rng.normal(size=len(starts))
    mean, error = judging.validation_margin(samples[:, None], np.zeros((len(starts), 1)), starts, horizon)
    # The same variance written out: every pair weighted by the share of its forecast rows in common.
    shared = np.clip(1 - np.abs(starts[:, None] - starts[None, :]) / horizon, 0, None)
    centred = samples - samples.mean()
    assert mean == pytest.approx(samples.mean())
    assert error == pytest.approx(np.sqrt(centred @ shared @ centred / (len(starts) * (len(starts) - 1))))
    shuffled = rng.permutation(len(starts))  # the windows' order does not matter, their starts do
    assert judging.validation_margin(samples[shuffled, None], np.zeros((len(starts), 1)), starts[shuffled], horizon) \
        == pytest.approx((mean, error))
    # Positively correlated neighbours (a slow drift in the errors) carry less evidence than independent windows.
    drift = np.repeat(rng.normal(size=7), 5)
    _, independent = judging.validation_margin(drift[:, None], np.zeros((35, 1)), np.arange(35) * horizon, horizon)
    _, overlapping = judging.validation_margin(drift[:, None], np.zeros((35, 1)), np.arange(35), horizon)
    assert overlapping > 1.5 * independent


def test_validation_margin_has_no_error_without_two_windows_of_separate_rows():
    assert judging.validation_margin(np.array([[1.0, 3.0, 2.0]]), np.zeros((1, 3)), [0], horizon=3) == (2.0, np.inf)
    overlapping = np.array([[1.0], [2.0], [3.0]])
    assert judging.validation_margin(overlapping, np.zeros((3, 1)), [10, 11, 12], horizon=3)[1] == np.inf
    assert np.isfinite(judging.validation_margin(overlapping, np.zeros((3, 1)), [10, 11, 13], horizon=3)[1])
    assert judging.disjoint_windows([0, 1, 2, 3, 4], horizon=3) == 2 and judging.disjoint_windows([], horizon=3) == 0


def test_a_validation_part_of_one_window_is_judged_at_rolling_origins():
    # A short monthly series: the default validation part (10%) holds a single window, too few to estimate a
    # standard error. The four horizons before it are judged too, one refit network per origin.
    data = _walk(rows=120)
    with pytest.warns(ReferenceFallbackWarning, match="On the validation part and at 4 earlier forecast origins"):
        fc = small(target="y", lookback=24, horizon=12, epochs=2, learning_rate=5.0, reference_fallback=True).fit(data)
    assert WindowedSeries.from_frame(data, fc.spec_, validation=0.1).n_windows("validation") == 1
    record = fc.reference_fallback_
    assert record["origins"] == 4 and np.isfinite(record["standard_error"])
    assert record["network_val_loss"] - record["reference_val_loss"] >= -record["standard_error"]
    np.testing.assert_allclose(fc.predict(data)["y"].to_numpy(), np.full(12, data["y"].iloc[-1]), rtol=1e-5)
    # Without a refit the reference keeps what the training part chose (and the scaler fit on it).
    with pytest.warns(ReferenceFallbackWarning):
        kept = small(target="y", lookback=24, horizon=12, epochs=2, learning_rate=5.0, reference_fallback=True,
                     refit=False).fit(data)
    assert kept.scaler_.estimator_.n_samples_seen_ == len(data) - 12
    np.testing.assert_allclose(kept.predict(data)["y"].to_numpy(), np.full(12, data["y"].iloc[-1]), rtol=1e-5)


def test_rolling_origins_keep_a_network_that_wins_on_a_short_series():
    # 96 hours of a daily cycle seen through a 12-hour window: the naive and drift references cannot follow it, a
    # network can. The validation part (10%) holds one window of separate rows: before rolling origins, the
    # reference was always kept here.
    steps = np.arange(96)
    data = pd.DataFrame({"y": np.sin(2 * np.pi * steps / 24)}, index=pd.date_range("2024-01-01", periods=96, freq="h"))
    fc = small(target="y", lookback=12, horizon=6, epochs=30, learning_rate=0.01, reference_fallback=True).fit(data)
    assert judging.disjoint_windows(sorted(WindowedSeries.from_frame(data, fc.spec_, validation=0.1).starts("validation")),
                                    6) < fitting.ROLLING_ORIGINS
    assert fc.model_config_.window_norm in ("last", "drift") and fc.reference_fallback_ is None


def test_origin_evidence_adds_one_window_per_earlier_horizon_in_the_validation_part_s_rows():
    data = _walk(rows=120)
    fc = small(target="y", lookback=24, horizon=12, epochs=2, reference_fallback=True)
    series = fc.prepare(data)
    likelihood = likelihood_for("mse")
    training = fitting.WindowTraining(strategy=strategy_for("direct", False, 12, likelihood, seed=0),
                                      likelihood=likelihood, config=TrainingConfig(epochs=2, verbose=0), seed=0)
    prepare_origin = lstm_toolkit.forecasting.preparing.origin_preparer(
        lstm_toolkit.forecasting.settings.ForecastSettings.from_params(fc.get_params()), data)
    network, reference, starts = fitting.origin_evidence(
        training, {"loss": [2.0, 1.0], "val_loss": [1.0, 2.0]}, lambda drop: prepare_origin(drop, fc.model_config_), 12)
    assert network.shape == reference.shape == (4, 12) and np.isfinite(network).all()
    last = series.starts("validation")[-1]  # the validation part's one window
    np.testing.assert_array_equal(starts, last - 12 * np.arange(1, 5))  # the four horizons before it, newest first
    assert judging.disjoint_windows(sorted([*starts, last]), 12) == 5
    # Many series have no rolling origins: their validation windows are many.
    panel = {"a": data, "b": data.assign(y=data["y"] + 5)}
    settings = lstm_toolkit.forecasting.settings.ForecastSettings.from_params({**fc.get_params(), "series_id": "id"})
    assert lstm_toolkit.forecasting.preparing.origin_preparer(settings, panel) is None


def test_a_series_too_short_for_an_earlier_origin_keeps_the_reference_and_says_why():
    data = _walk(rows=34)  # 28 training rows: 11 windows; 6 rows fewer leave 5, fewer than MIN_ORIGIN_WINDOWS
    with pytest.warns(ReferenceFallbackWarning, match="fewer than two windows with separate forecast rows"):
        fc = small(target="y", lookback=12, horizon=6, epochs=2, validation=6, reference_fallback=True).fit(data)
    assert "origins" not in fc.reference_fallback_ and fc.reference_fallback_["standard_error"] is None


@pytest.mark.parametrize("advantage, kept", [(0.5, False), (1.5, True)])
def test_the_network_is_kept_only_when_it_wins_by_more_than_one_standard_error(monkeypatch, advantage, kept):
    # Four validation windows; the network lower than the reference by `advantage` on average, give or take 1
    # (the standard error of the mean difference: 1.15 / 2 = 0.58).
    reference = np.array([[1.0], [3.0], [1.0], [3.0]])
    network = reference - advantage + np.array([[1.0], [-1.0], [1.0], [-1.0]])
    losses = iter([network, reference])
    monkeypatch.setattr(judging, "window_losses", lambda trainable, data, loss=None: next(losses))
    model = build_model(ModelConfig(units=(4,), window_norm="last"), lookback=6, n_features=1, horizon=1)
    before = [w.copy() for w in model.get_weights()]
    record = judging.judge(model, *judging.paired_losses(model, model, data=None), starts=[0, 1, 2, 3], horizon=1)
    error = np.std([1.0, -1.0, 1.0, -1.0], ddof=1) / 2
    if kept:
        assert record is None
        assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # the network's weights are back
    else:
        assert record == pytest.approx({"reference_val_loss": 2.0, "network_val_loss": 2.0 - advantage,
                                        "standard_error": error})
        assert np.abs(model.get_layer("output").get_weights()[0]).max() == 0  # the model now forecasts the reference


def test_a_global_model_falls_back_on_the_windows_of_all_its_series():
    # Two random walks in one model: each series' validation windows count on their own (none shares rows with
    # the other series'), and the fallback's reference is chosen again on all the data of both.
    walks = {name: _walk().assign(y=lambda frame, k=k: frame["y"] + 10 * k) for k, name in enumerate(("a", "b"))}
    with pytest.warns(ReferenceFallbackWarning, match="standard error of the difference"):
        fc = small(target="y", epochs=2, learning_rate=5.0, reference_fallback=True, series_id="id").fit(walks)
    assert fc.reference_fallback_["standard_error"] > 0
    forecast = fc.predict(walks)
    for name, frame in walks.items():
        np.testing.assert_allclose(forecast.loc[forecast["id"] == name, "y"].to_numpy(), frame["y"].iloc[-1], rtol=1e-5)


def test_the_fallback_warning_names_a_reference_chosen_again_on_all_the_data():
    record = {"window_norm": "last", "network_val_loss": 2.0, "reference_val_loss": 1.0, "standard_error": 0.1}
    assert "Chosen again" not in judging.fallback_message(record, "last")
    message = judging.fallback_message(record, "drift")
    assert "the last value (naive) (window_norm='last')" in message
    assert "Chosen again on all the data, that reference is now" in message and "window_norm='drift'" in message


def test_a_diverged_network_gives_way_to_its_reference(monkeypatch):
    losses = iter([np.full((4, 1), np.nan), np.ones((4, 1))])  # NaN weights forecast NaN
    monkeypatch.setattr(judging, "window_losses", lambda trainable, data, loss=None: next(losses))
    model = build_model(ModelConfig(units=(4,), window_norm="last"), lookback=6, n_features=1, horizon=1)
    record = judging.judge(model, *judging.paired_losses(model, model, data=None), starts=[0, 1, 2, 3], horizon=1)
    assert record["reference_val_loss"] == 1.0 and np.isnan(record["network_val_loss"])
    assert "its training diverged" in judging.fallback_message({"window_norm": "last", **record}, "last")
