"""Probabilistic forecasts: heads, losses, mapping back to original units, quantiles, samples, scores."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.forecasting import likelihoods, probabilistic
from lstm_toolkit.models import build_model, distribution


@pytest.mark.parametrize("loss", ["quantile", "gaussian", "student_t"])
def test_heads_give_valid_parameters_after_window_denormalisation(loss):
    model = build_model(ModelConfig(units=(6,), window_norm="last"), lookback=8, n_features=2, horizon=3,
                        n_targets=2, loss=loss)
    params = model(np.random.default_rng(0).normal(size=(5, 8, 2)).astype("float32")).numpy()
    assert params.shape == (5, 3, 2, probabilistic.n_params(loss))
    if loss == "quantile":
        assert np.all(np.diff(params, axis=-1) > 0)  # quantiles never cross
    else:
        assert np.all(params[..., 1] > 0)
    if loss == "student_t":
        assert np.all(params[..., 2] > 2)


def test_window_denormalisation_moves_locations_and_scales_spreads():
    layer = distribution.DistributionDenormalization([0], "gaussian", 2)
    params = np.array([[[[0.5, 2.0]]]], "float32")
    shift, scale = np.array([[[10.0]]], "float32"), np.array([[[3.0]]], "float32")
    assert np.asarray(layer([params, shift, scale])).tolist() == [[[[11.5, 6.0]]]]


def test_losses_match_their_formulas():
    y, mean, std = np.array([[[1.0]]]), 0.2, 0.7
    gaussian = float(likelihoods.GaussianNLL()(y, np.array([[[[mean, std]]]])))
    assert gaussian == pytest.approx(-stats.norm.logpdf(1.0, mean, std), rel=1e-5)
    student = float(likelihoods.StudentTNLL()(y, np.array([[[[mean, std, 4.0]]]])))
    assert student == pytest.approx(-stats.t.logpdf(1.0, 4.0, mean, std), rel=1e-5)
    pinball = float(likelihoods.PinballLoss([0.25])(y, np.array([[[[0.0]]]])))
    assert pinball == pytest.approx(0.25)


@pytest.mark.parametrize("loss", ["mse", "mae", "quantile", "gaussian", "student_t"])
def test_likelihood_objects_agree_with_the_loss_functions(loss):
    likelihood = likelihoods.likelihood_for(loss, (0.9, 0.1, 0.5))
    assert likelihood.name == loss and likelihood.levels == (0.1, 0.5, 0.9)
    assert likelihood.n_params == probabilistic.n_params(loss, likelihood.levels)
    assert likelihood.probabilistic == (loss not in ("mse", "mae"))
    if loss in ("mse", "mae"):  # a point model compiles its own loss, and the Forecaster's training config names it
        assert likelihood.compile_args() == {"loss": loss} and likelihood.output_form() is None
        assert likelihood.point_loss == likelihood.keras_loss() == loss
        return
    assert likelihood.point_loss == "mse"  # the training config's default; `compile_args` gives the loss itself
    assert isinstance(likelihood.compile_args()["loss"], keras_loss_types[loss])
    params = {"quantile": np.array([[[-1.0, 0.0, 2.0]]]), "gaussian": np.array([[[0.0, 1.0]]]),
              "student_t": np.array([[[0.0, 1.0, 5.0]]])}[loss]
    np.testing.assert_allclose(likelihood.quantiles(params), probabilistic.quantiles_of(params, loss, (0.1, 0.5, 0.9), (0.1, 0.5, 0.9)))
    np.testing.assert_allclose(likelihood.point(params), likelihood.quantiles(params, [0.5])[..., 0])
    np.testing.assert_allclose(likelihood.sample(params, 7, seed=3), probabilistic.sample(params, loss, 7, 1.0, (0.1, 0.5, 0.9), 3))
    sampled = likelihood.output_form(sampled=True)
    assert sampled.array_loss == "quantile" and set(likelihood.levels) <= set(sampled.array_levels)


keras_loss_types = {"quantile": likelihoods.PinballLoss, "gaussian": likelihoods.GaussianNLL, "student_t": likelihoods.StudentTNLL}


@pytest.mark.parametrize("name", sorted(probabilistic.MOVED))
def test_moved_names_still_import_from_probabilistic_with_a_warning(name):
    with pytest.warns(DeprecationWarning, match=f"moved to {probabilistic.MOVED[name]}"):
        moved = getattr(probabilistic, name)
    assert moved is getattr(likelihoods if "likelihoods" in probabilistic.MOVED[name] else distribution, name)


def test_original_units_include_the_jacobian_of_the_scaling():
    # scaled = value * 0.5 + 1  ->  value = (scaled - 1) / 0.5; a spread of 1 scaled unit is 2 original units
    params = np.array([[[3.0, 1.0]]])
    mapped = probabilistic.to_original(params, "gaussian", np.array([0.5]), np.array([1.0]))
    assert mapped.tolist() == [[[4.0, 2.0]]]
    quantile = probabilistic.to_original(np.array([[[1.0, 3.0]]]), "quantile", np.array([0.5]), np.array([1.0]))
    assert quantile.tolist() == [[[0.0, 4.0]]]


def test_vectorised_interpolation_matches_numpy_interp():
    rng = np.random.default_rng(0)
    grid = np.sort(rng.uniform(0.01, 0.99, 5))
    values = np.sort(rng.normal(size=(7, 3, 5)), axis=-1)
    rows = values.reshape(-1, 5)
    x = rng.uniform(0, 1, 11)  # inside and beyond the grid
    expected = np.stack([np.interp(x, grid, row) for row in rows]).reshape(7, 3, 11)
    np.testing.assert_allclose(probabilistic.interpolate(grid, values, x), expected, atol=1e-12)
    per_row = rng.uniform(0, 1, (7, 3))
    expected = np.array([np.interp(u, grid, row) for u, row in zip(per_row.ravel(), rows)]).reshape(7, 3)
    np.testing.assert_allclose(probabilistic.interpolate(grid, values, per_row, per_row=True), expected, atol=1e-12)
    one = values[..., :1]
    assert probabilistic.interpolate([0.5], one, x).shape == (7, 3, 11)
    np.testing.assert_allclose(probabilistic.interpolate([0.5], one, per_row, per_row=True), one[..., 0])


def test_quantiles_samples_and_scores():
    params = np.array([[[0.0, 1.0]]])  # one standard normal forecast
    q = probabilistic.quantiles_of(params, "gaussian", [0.1, 0.5, 0.9])
    np.testing.assert_allclose(q[0, 0], stats.norm.ppf([0.1, 0.5, 0.9]))
    draws = probabilistic.sample(np.repeat(params, 1, 0), "gaussian", 20000, seed=0)
    assert draws.shape == (20000, 1, 1) and abs(draws.std() - 1.0) < 0.03
    cold = probabilistic.sample(params, "gaussian", 5, temperature=0.0, seed=0)
    assert np.all(cold == 0.0)  # temperature 0: the median path
    quantile_draws = probabilistic.sample(np.array([[[-1.0, 0.0, 1.0]]]), "quantile", 5000, model_levels=[0.1, 0.5, 0.9], seed=0)
    assert -1.0 <= quantile_draws.min() and quantile_draws.max() <= 1.0 and abs(np.median(quantile_draws)) < 0.05
    actual = np.zeros(1000)
    quantiles = np.tile(stats.norm.ppf([0.025, 0.1, 0.9, 0.975]), (1000, 1))
    row = probabilistic.probabilistic_metrics(np.random.default_rng(0).standard_normal(1000), quantiles, [0.025, 0.1, 0.9, 0.975])
    assert abs(row["coverage_80"] - 0.8) < 0.04 and abs(row["coverage_95"] - 0.95) < 0.03
    assert row["width_80"] == pytest.approx(2 * stats.norm.ppf(0.9))
    assert probabilistic.crps_from_quantiles(actual, np.zeros((1000, 4)), [0.025, 0.1, 0.9, 0.975]) == 0.0
    with pytest.raises(ConfigError, match="quantiles"):
        probabilistic.check_loss("quantile", (0.5, 1.5))
    with pytest.raises(ConfigError, match="loss"):
        probabilistic.check_loss("poisson", (0.5,))


@pytest.fixture(scope="module")
def probabilistic_fit():
    df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:900]
    fc = Forecaster(lookback=24, horizon=4, target="temp", loss="gaussian", model=ModelConfig(units=(8,)),
                    epochs=3, verbose=0, seed=0).fit(df.iloc[:800])
    return fc, df


def test_forecaster_predicts_quantile_columns_samples_and_scores(probabilistic_fit, tmp_path):
    fc, df = probabilistic_fit
    forecast = fc.predict(df.iloc[:800])
    levels = probabilistic.DEFAULT_QUANTILES
    assert list(forecast.columns) == ["temp"] + [f"temp_q{q:g}" for q in levels]
    assert np.all(np.diff(forecast[[f"temp_q{q:g}" for q in levels]].to_numpy(), axis=1) > 0)
    np.testing.assert_allclose(forecast["temp"], forecast["temp_q0.5"], atol=1e-9)
    paths = fc.predict(df.iloc[:800], num_samples=200, seed=0)
    assert paths.shape == (200, 4, 1)
    inside = (paths[:, :, 0] >= forecast["temp_q0.025"].to_numpy()) & (paths[:, :, 0] <= forecast["temp_q0.975"].to_numpy())
    assert 0.85 < inside.mean() <= 1.0
    np.testing.assert_allclose(fc.predict(df.iloc[:800], num_samples=3, temperature=0.0)[0, :, 0], forecast["temp"])
    with pytest.raises(ConfigError, match=r"`temperature` spreads sample paths.*temperature=0.0.*Pass num_samples="):
        fc.predict(df.iloc[:800], temperature=0.0)  # not silently the quantile forecast
    table = fc.evaluate(df)
    assert {"CRPS", "coverage_80", "width_80", "coverage_95", "width_95"} <= set(table.columns)
    pinball = table[[f"pinball_q{q:g}" for q in levels]]
    assert pinball.notna().all().all() and (pinball.to_numpy() > 0).all()
    # CRPS is twice the mean pinball loss over its grid, which holds these levels: the same order of size
    assert 0.5 < table.loc["model", "CRPS"] / (2 * pinball.loc["model"].mean()) < 2.0
    assert list(table.index) == ["model", "naive", "seasonal_naive"]
    assert table["width_95"].gt(table["width_80"]).all()
    results = fc.backtest(df)
    assert {"forecast_q0.025", "forecast_q0.975"} <= set(results.columns)
    loaded = lstm_toolkit.load(fc.save(tmp_path / "gaussian"))
    pd.testing.assert_frame_equal(loaded.predict(df.iloc[:800]), forecast)


def test_quantile_loss_trains_and_point_models_refuse_sampling(probabilistic_fit):
    _, df = probabilistic_fit
    fc = Forecaster(lookback=24, horizon=2, target="temp", loss="quantile", quantiles=(0.1, 0.5, 0.9),
                    model=ModelConfig(units=(8,)), epochs=2, verbose=0, seed=0).fit(df.iloc[:800])
    table = fc.evaluate(df)
    assert np.isnan(table.loc["model", "coverage_95"])  # no 2.5% / 97.5% levels: no 95% interval
    assert 0 <= table.loc["model", "coverage_80"] <= 1
    point = Forecaster(lookback=24, target="temp", model=ModelConfig(units=(4,)), epochs=1, verbose=0).fit(df.iloc[:800])
    with pytest.raises(ConfigError, match="probabilistic"):
        point.predict(df, num_samples=3)
    with pytest.raises(ConfigError, match="stateful=True"):
        Forecaster(lookback=24, target="temp", loss="gaussian", stateful=True).fit(df)


def test_probabilistic_models_refuse_streaming_and_export(probabilistic_fit, tmp_path):
    fc, _ = probabilistic_fit
    with pytest.raises(ConfigError, match="predict"):
        fc.streamer()
    with pytest.raises(ConfigError, match="loss='mse'"):
        fc.export(tmp_path / "model.tflite")


def test_recursive_model_samples_paths_ancestrally(probabilistic_fit):
    _, df = probabilistic_fit
    history = df.iloc[:800]
    fc = Forecaster(lookback=24, horizon=3, target="temp", strategy="recursive", loss="gaussian",
                    model=ModelConfig(units=(8,), window_norm="last"), epochs=2, verbose=0, seed=0).fit(history)
    forecast = fc.predict(history)
    levels = [f"temp_q{q:g}" for q in probabilistic.DEFAULT_QUANTILES]
    assert list(forecast.columns) == ["temp"] + levels
    assert np.all(np.diff(forecast[levels].to_numpy(), axis=1) > 0)
    pd.testing.assert_frame_equal(fc.predict(history), forecast)  # the quantiles' paths are seeded
    paths = fc.predict(history, num_samples=400, seed=1)
    assert paths.shape == (400, 3, 1)
    # Each sampled step is fed back: a path that starts high stays high (independent steps would not correlate).
    assert np.corrcoef(paths[:, 0, 0], paths[:, 1, 0])[0, 1] > 0.5
    np.testing.assert_allclose(np.median(paths, axis=0)[:, 0], forecast["temp"], atol=0.5 * forecast["temp_q0.9"].sub(forecast["temp_q0.1"]).max())
    cold = fc.predict(history, num_samples=2, temperature=0.0)
    np.testing.assert_allclose(cold[0], cold[1])
    assert abs(cold[0, 0, 0] - forecast["temp"].iloc[0]) < 0.1 * (forecast["temp_q0.9"].iloc[0] - forecast["temp_q0.1"].iloc[0])
    table = fc.evaluate(df)
    assert table.loc["model", "width_95"] > table.loc["model", "width_80"] > 0
    assert {"forecast_q0.025", "forecast_q0.975"} <= set(fc.backtest(df).columns)


def test_fan_chart(probabilistic_fit):
    from lstm_toolkit.plotting import plot_fan

    fc, df = probabilistic_fit
    forecast = fc.predict(df.iloc[:800])
    figure = plot_fan(df.iloc[:800], forecast, samples=fc.predict(df.iloc[:800], num_samples=5, seed=0))
    ax = figure.axes[0]
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["80% interval", "95% interval", "history", "median"]
    assert len(ax.lines) == 1 + 5 + 1 + 1  # history, 5 paths, median, the forecast-start line
