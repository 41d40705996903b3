"""The forecast combined with a ridge regression on the same windows (`linear_share`, `forecasting.linear`)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import keras
from sklearn.linear_model import Ridge

from lstm_toolkit import Forecaster, ModelConfig, load
from lstm_toolkit.data import make_window_dataset, window_starts
from lstm_toolkit.errors import ConfigError, ReferenceFallbackWarning
from lstm_toolkit.forecasting import linear
from lstm_toolkit.models import blend_correction, build_model, correction_inputs

TINY = ModelConfig(units=(8,), highway=True)


def randomised(model, seed=0):
    """`model` with every trainable weight drawn at random (the output layer and highway start at zero otherwise);
    the window normalisation's scales, fit on data and not trained, stay as they are."""
    rng = np.random.default_rng(seed)
    for weight in model.trainable_weights:
        weight.assign(rng.normal(scale=0.3, size=weight.shape).astype("float32"))
    return model


def windows(n=40, lookback=5, seed=0):
    return np.random.default_rng(seed).normal(size=(n, lookback, 1)).cumsum(axis=1).astype("float32")


@pytest.mark.parametrize("members", [1, 2])
def test_blend_correction_makes_the_forecast_a_weighted_mean_with_the_linear_model(members):
    config = ModelConfig(units=(4,), window_norm="drift", highway=True, members=members)
    model = randomised(build_model(config, lookback=5, n_features=1, horizon=2))
    x = windows()
    own = np.asarray(model(x))
    features, reference, scale = (np.asarray(part) for part in correction_inputs(model)(x))
    coefficients = np.random.default_rng(1).normal(size=(5, 2))
    by_linear = reference + scale * (features @ coefficients)[:, :, None]
    assert blend_correction(model, coefficients, 0.3)
    np.testing.assert_allclose(np.asarray(model(x)), 0.7 * own + 0.3 * by_linear, rtol=1e-4, atol=1e-4)


def test_blend_correction_leaves_models_it_cannot_blend_unchanged():
    x = windows()
    no_highway = randomised(build_model(ModelConfig(units=(4,), highway=False), lookback=5, n_features=1))
    squashed = randomised(build_model(ModelConfig(units=(4,), highway=True, output_activation="sigmoid"),
                                      lookback=5, n_features=1))
    for model, features in ((no_highway, None), (squashed, 5)):
        before = np.asarray(model(x))
        assert (correction_inputs(model) is None) == (features is None)
        assert not blend_correction(model, np.ones((5, 1)), 0.5)
        np.testing.assert_array_equal(np.asarray(model(x)), before)


def test_without_window_norm_the_linear_model_reads_the_scaled_window_itself():
    model = build_model(ModelConfig(units=(4,), window_norm="none", highway=True), lookback=5, n_features=1)
    x = windows(3)
    features, reference, scale = (np.asarray(part) for part in correction_inputs(model)(x))
    np.testing.assert_array_equal(features, x[:, :, 0])
    assert not reference.any() and (scale == 1).all()


def as_ridge_data(batches):
    """Features and targets of "last"-normalised windows (relative to their last value), as the ridge sees them."""
    x = np.concatenate([np.asarray(b[0]) for b in batches])
    y = np.concatenate([np.asarray(b[1]) for b in batches])[:, :, 0]
    return x[:, :, 0] - x[:, -1:, 0], y - x[:, -1:, 0]


@pytest.mark.parametrize("horizon", [1, 2])  # one target column: scikit-learn's coef_ is 1-D
def test_fit_ridge_is_scikit_learns_ridge_with_the_leave_one_out_penalty(horizon):
    series = np.random.default_rng(2).normal(size=(120, 1)).cumsum(axis=0).astype("float32")
    model = build_model(ModelConfig(units=(4,), window_norm="last", highway=True), lookback=5, n_features=1,
                        horizon=horizon)
    dataset = make_window_dataset(series, series, window_starts(5, horizon, 0, 120), 5, horizon, batch_size=10)
    coefficients, alpha = linear.fit_ridge(correction_inputs(model), dataset)
    assert alpha in linear.RIDGE_ALPHAS and coefficients.shape == (5, horizon)
    features, targets = as_ridge_data(list(dataset))
    expected = Ridge(alpha=alpha, fit_intercept=False).fit(features, targets).coef_.reshape(horizon, 5).T
    np.testing.assert_allclose(coefficients, expected, rtol=1e-4, atol=1e-5)
    assert blend_correction(model, coefficients, 0.5)  # the coefficients fit the model's highway


def test_the_ridge_reads_a_seeded_random_sample_of_many_training_windows(monkeypatch):
    from lstm_toolkit.data import WindowedSeries, WindowSpec

    frame = pd.DataFrame({"y": np.arange(300, dtype="float64")})
    series = WindowedSeries.from_frame(frame, WindowSpec(lookback=5, targets="y", horizon=1), validation=0.2,
                                       scaler="none")
    every = [y.numpy()[:, 0, 0] for _, y in linear.training_sample(series, batch_size=10)]
    assert sorted(np.concatenate(every)) == list(range(5, 240))  # all of them when they are few
    monkeypatch.setattr(linear, "LINEAR_SAMPLE", 25)  # at most 25 windows: three batches of 10
    drawn = [np.concatenate([y.numpy()[:, 0, 0] for _, y in linear.training_sample(series, 10, seed=seed)])
             for seed in (0, 0, 1)]
    assert len(drawn[0]) == 30 and len(set(drawn[0])) == 30 and set(drawn[0]) <= set(range(5, 240))
    assert list(drawn[0]) == list(drawn[1]) and list(drawn[0]) != list(drawn[2])  # seeded
    assert max(drawn[0]) - min(drawn[0]) > 100  # drawn from the whole training part, not its start


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    index = pd.date_range("2020-01-01", periods=260, freq="D")
    steps = np.arange(260)
    return pd.DataFrame({"y": 10 + 3 * np.sin(2 * np.pi * steps / 7) + rng.normal(scale=0.5, size=260).cumsum()},
                        index=index)


def fit(frame, **kwargs):
    settings = dict(lookback=14, horizon=3, target="y", model=TINY, epochs=2, verbose=0, seed=0,
                    reference_fallback=False, level_member=False)  # the ridge beside one network (test_level.py: two)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceFallbackWarning)
        return Forecaster(**{**settings, **kwargs}).fit(frame)


def test_the_default_forecast_is_the_mean_of_the_network_and_the_ridge_regression(frame):
    # The ridge is fit after training: with one seed the network is the same, so the shares mix linearly.
    network, half, ridge = (fit(frame, linear_share=share) for share in (0.0, 0.5, 1.0))
    assert network.linear_ is None and ridge.linear_["share"] == 1.0
    assert half.linear_ == {"share": 0.5, "alpha": ridge.linear_["alpha"]} and half.linear_["alpha"] in linear.RIDGE_ALPHAS
    assert Forecaster(lookback=14, horizon=3).linear_share == "auto"  # the default: 0.5 with loss "mse" (one series)
    forecasts = [model.predict(frame)["y"].to_numpy() for model in (network, half, ridge)]
    assert np.abs(forecasts[0] - forecasts[2]).max() > 1e-3
    np.testing.assert_allclose(forecasts[1], (forecasts[0] + forecasts[2]) / 2, rtol=1e-4, atol=1e-4)
    # linear_share=1: the forecast no longer reads the recurrent layers
    lstm = next(layer for layer in ridge.model_.layers if isinstance(layer, keras.layers.RNN))
    lstm.set_weights([w + 1.0 for w in lstm.get_weights()])
    np.testing.assert_allclose(ridge.predict(frame)["y"].to_numpy(), forecasts[2], rtol=1e-5)


def test_the_combination_is_saved_and_loaded_with_the_forecaster(frame, tmp_path):
    fitted = fit(frame)
    fitted.save(tmp_path / "combined")
    loaded = load(tmp_path / "combined")
    assert loaded.linear_ == fitted.linear_
    np.testing.assert_allclose(loaded.predict(frame)["y"], fitted.predict(frame)["y"], rtol=1e-6)


def test_a_kept_reference_is_combined_with_the_ridge_too():
    walk = pd.DataFrame({"y": np.random.default_rng(4).normal(size=200).cumsum()},
                        index=pd.date_range("2020-01-01", periods=200, freq="D"))
    plain = fit(walk, reference_fallback=True, linear_share=0.0)
    combined = fit(walk, reference_fallback=True)
    assert plain.reference_fallback_ is not None and combined.reference_fallback_ is not None
    assert combined.linear_["share"] == 0.5
    assert np.abs(combined.predict(walk)["y"].to_numpy() - plain.predict(walk)["y"].to_numpy()).max() > 0


def test_a_probabilistic_forecast_keeps_its_network_alone(frame):
    assert fit(frame, loss="gaussian", epochs=1).linear_ is None


@pytest.mark.parametrize("share", [1.5, -0.1, "half", True])
def test_a_share_outside_zero_to_one_is_refused_by_name(frame, share):
    with pytest.raises(ConfigError, match=r"linear_share.*from 0 \(the network alone\) to 1"):
        fit(frame, linear_share=share)


def test_the_combination_gives_way_only_to_a_clear_loss_on_the_validation_part(frame, monkeypatch):
    seen = []

    def margin(combined, alone, starts, horizon, ratio):
        seen.append((combined.shape, alone.shape, not np.allclose(combined, alone)))
        return ratio * 0.1, 0.1

    for ratio, kept in ((linear.RIDGE_DROP_ERRORS + 0.1, False), (linear.RIDGE_DROP_ERRORS - 0.1, True), (-5.0, True)):
        monkeypatch.setattr(linear, "validation_margin", lambda *args, ratio=ratio: margin(*args, ratio=ratio))
        assert (fit(frame).linear_ is not None) == kept
    # the validation windows' losses (24 windows of 3 steps), with and without the ridge, which differ
    assert seen == [((24, 3), (24, 3), True)] * 3


def test_the_command_line_names_the_combination(frame):
    from lstm_toolkit.cli.forecasting import forecaster_name

    assert forecaster_name(fit(frame)) == "The LSTM (50%; 50% a ridge regression on its windows)"
    assert forecaster_name(fit(frame, linear_share=0.0)) == "The LSTM"


@pytest.mark.parametrize("ensemble", [1, 2])
@pytest.mark.parametrize("reference_fallback", [False, True])  # True: `alone` comes from the judge's evidence
def test_the_validation_check_compares_like_with_like(frame, monkeypatch, ensemble, reference_fallback):
    seen = []
    monkeypatch.setattr(linear, "validation_margin", lambda combined, alone, *rest: seen.append((combined, alone)) or (0.0, 1.0))
    fit(frame, ensemble=ensemble, reference_fallback=reference_fallback, linear_share=1e-9)
    (combined, alone), = seen
    np.testing.assert_allclose(combined, alone, rtol=1e-3, atol=1e-7)  # a vanishing share changes nothing: every member, same loss


@pytest.mark.parametrize("reference_fallback", [False, True])  # True on a random walk: the reference is kept
def test_without_a_refit_the_ridge_checked_on_validation_is_the_one_kept_and_fit_once(frame, monkeypatch,
                                                                                       reference_fallback):
    walk = pd.DataFrame({"y": np.random.default_rng(4).normal(size=200).cumsum()},
                        index=pd.date_range("2020-01-01", periods=200, freq="D"))
    data = walk if reference_fallback else frame
    calls = []
    fit_ridge = linear.fit_ridge
    monkeypatch.setattr(linear, "fit_ridge", lambda *args: calls.append(1) or fit_ridge(*args))
    settings = dict(refit=False, reference_fallback=reference_fallback)
    network, half, ridge = (fit(data, linear_share=share, **settings) for share in (0.0, 0.5, 1.0))
    assert len(calls) == 2  # one fit each for shares 0.5 and 1: `ridge_holds` measured it, the model keeps it
    assert (half.reference_fallback_ is not None) == reference_fallback
    forecasts = [model.predict(data)["y"].to_numpy() for model in (network, half, ridge)]
    np.testing.assert_allclose(forecasts[1], (forecasts[0] + forecasts[2]) / 2, rtol=1e-4, atol=1e-4)
