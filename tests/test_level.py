"""The level network beside the window-relative one (`Forecaster(level_member=...)`, `forecasting.level`)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from lstm_toolkit import Forecaster, ModelConfig, load
from lstm_toolkit.cli.forecasting import forecaster_name
from lstm_toolkit.errors import ConfigError, ReferenceFallbackWarning
from lstm_toolkit.forecasting import fitting, level
from lstm_toolkit.forecasting.level import LEVEL_NETWORK, joins, level_informs

SMALL = ModelConfig(units=(8,))


def mean_reverting(n=160, seed=0):
    """Quarterly readings that revert to a level of 5 at once (an AR(1) of 0.2 with noise): a growth rate."""
    rng = np.random.default_rng(seed)
    values = np.empty(n)
    values[0] = 5.0
    for t in range(1, n):
        values[t] = 5.0 + 0.2 * (values[t - 1] - 5.0) + rng.normal()
    return pd.DataFrame({"rate": values}, index=pd.date_range("1980-01-01", periods=n, freq="QS"))


def trending(n=160, seed=0):
    """A random walk with a strong drift: its validation part lies above anything the training part saw."""
    values = np.cumsum(1.0 + np.random.default_rng(seed).normal(scale=0.3, size=n))
    return pd.DataFrame({"rate": values}, index=pd.date_range("1980-01-01", periods=n, freq="QS"))


def fit(data, **settings):
    keywords = dict(lookback=8, horizon=4, target="rate", model=SMALL, epochs=8, verbose=0, seed=0, refit=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceFallbackWarning)
        return Forecaster(**{**keywords, **settings}).fit(data)


@pytest.fixture(scope="module")
def joined():
    return fit(mean_reverting())


def _layer_names(model):
    return [layer.name for layer in model.layers]


def test_on_a_series_that_reverts_to_its_mean_the_level_network_joins_and_the_forecast_is_the_mean_of_both(joined):
    record = joined.level_member_
    assert record["joined"] and record["validation_loss"] < record["first_validation_loss"] - record["standard_error"]
    assert LEVEL_NETWORK in _layer_names(joined.model_)
    data = mean_reverting()
    window = joined.windows(data, ends=[150])
    first, level = (joined.model_.get_layer(name) for name in _layer_names(joined.model_)[1:3])
    assert level.name == LEVEL_NETWORK
    np.testing.assert_allclose(joined.predict_windows(window), (np.asarray(first(window)) + np.asarray(level(window))) / 2,
                               rtol=1e-5, atol=1e-5)
    assert "averaged with a second LSTM that reads the window's levels" in forecaster_name(joined)  # the CLI says so
    # The first network reads the window relative to its own values; the level network reads it as it is.
    assert "window_norm" in _layer_names(first) and "window_norm" not in _layer_names(level)


def test_a_level_network_that_does_worse_on_validation_is_dropped():
    trend = fit(trending(), level_member=True)
    assert trend.level_member_ is not None and not trend.level_member_["joined"]
    assert trend.level_member_["validation_loss"] > trend.level_member_["first_validation_loss"]
    assert LEVEL_NETWORK not in _layer_names(trend.model_)
    alone = fit(trending(), level_member=False)  # the same first network, trained alone
    assert fit(trending()).level_member_ is None  # "auto": a trend's level does not inform its forecast
    np.testing.assert_allclose(trend.predict(trending()).to_numpy(), alone.predict(trending()).to_numpy(), rtol=1e-5)


def test_the_level_network_is_refit_only_once_it_has_joined(monkeypatch, tmp_path):
    calls, refitted = [], level.refitted
    monkeypatch.setattr(level, "refitted", lambda *args, **kwargs: calls.append(1) or refitted(*args, **kwargs))
    reverting = fit(mean_reverting(), refit=True, backup_dir=str(tmp_path / "backup"))
    assert reverting.level_member_["joined"] and len(calls) == 1  # the first network's refit is fitting's own
    assert not (tmp_path / "backup").exists()  # both networks' backups removed once their training completed
    calls.clear()
    assert not fit(trending(), refit=True, level_member=True).level_member_["joined"] and calls == []


def test_the_level_informs_a_mean_reverting_series_not_a_trend_or_a_season():
    def informs(data):
        forecaster = Forecaster(lookback=8, horizon=4, target="rate", model=SMALL)
        series = forecaster.prepare(data)
        return level_informs(forecaster.problem_, series)

    assert informs(mean_reverting())
    assert not informs(trending())
    season = pd.DataFrame({"rate": 10 * np.sin(np.arange(160) * np.pi / 2) + np.random.default_rng(0).normal(size=160)},
                          index=pd.date_range("1980-01-01", periods=160, freq="QS"))  # a seasonal naive forecast wins
    assert not informs(season)


def test_early_stopping_takes_the_first_fits_validation_loss_as_the_level_networks_baseline(monkeypatch):
    # It joins only below the first fit's validation loss, so its patience restarts only below it.
    passed, fit_of = [], fitting.fit
    monkeypatch.setattr(fitting, "fit", lambda *args, **kwargs: passed.append(kwargs["baseline"]) or fit_of(*args, **kwargs))
    record = fit(mean_reverting(), epochs=3).level_member_
    assert len(passed) == 2 and passed[1] == pytest.approx(record["first_validation_loss"], rel=1e-6)


def test_level_member_false_trains_one_network_and_auto_skips_long_series_and_short_validation():
    assert fit(mean_reverting(), level_member=False, epochs=1).level_member_ is None
    # A validation part under two horizons has no standard error for the level network to clear: not trained.
    short_validation = dict(validation=6, epochs=1, reference_fallback=False)  # no rolling origins to train either
    assert fit(mean_reverting(), **short_validation).level_member_ is None
    assert fit(mean_reverting(), level_member=True, **short_validation).level_member_["joined"] is False
    daily = pd.DataFrame({"rate": mean_reverting(n=640)["rate"].to_numpy()},
                         index=pd.date_range("2024-01-01", periods=640, freq="D"))
    long = fit(daily, epochs=1)  # over 500 training windows: "auto" trains one network
    assert long.n_train_windows_ >= 500 and long.level_member_ is None


@pytest.mark.parametrize("settings, match", [
    ({"level_member": "yes"}, "must be True, False or 'auto'"),
    ({"level_member": True, "loss": "quantile"}, "averaged into point forecasts"),
    ({"level_member": True, "model": ModelConfig(units=(8,), window_norm="none")}, "already reads the window's levels"),
])
def test_level_member_refuses_what_it_cannot_train(settings, match, monkeypatch):
    trained = []
    monkeypatch.setattr(level, "fit_window_model", lambda *args, **kwargs: trained.append(1))
    with pytest.raises(ConfigError, match=match):
        fit(mean_reverting(), epochs=1, **settings)
    assert trained == []  # refused before the first network trains, not after it


def test_a_panel_refuses_level_member_true():
    frames = {name: mean_reverting(seed=seed) for seed, name in enumerate("ab")}
    with pytest.raises(ConfigError, match="for one series"):
        fit(frames, epochs=1, level_member=True)
    assert fit(frames, epochs=1).level_member_ is None  # "auto": one series only


def test_the_combined_model_saves_loads_and_exports(joined, tmp_path, litert_forecast):
    joined.save(tmp_path / "level")
    loaded = load(tmp_path / "level")
    assert loaded.level_member_ == joined.level_member_
    data = mean_reverting()
    pd.testing.assert_frame_equal(loaded.predict(data), joined.predict(data))
    streamer = joined.streamer()
    streamed = [streamer.update(value) for value in data["rate"].iloc[:8]]  # a ring buffer of lookback=8 rows
    np.testing.assert_allclose(np.ravel(streamed[-1]), joined.predict(data.iloc[:8])["rate"].to_numpy(), rtol=1e-4)
    window = joined.windows(data, ends=[150])
    exported = litert_forecast(joined.export(tmp_path / "level.tflite", format="litert"), window)
    np.testing.assert_allclose(exported, joined.predict_windows(window), rtol=1e-4, atol=1e-4)


def test_the_level_network_joins_only_clearly_lower_on_validation():
    first = np.array([[1.0, 1.0], [2.0, 2.0], [1.5, 1.5]])
    starts, horizon = [0, 2, 4], 2  # windows that share no forecast rows
    assert joins(first, first - 0.5, starts, horizon)[0]  # lower on every window
    assert not joins(first, first, starts, horizon)[0]  # a tie shows nothing
    noisy = first + np.array([[-1.0], [0.8], [-0.1]])  # lower on average, not by one standard error
    joined, difference, error = joins(first, noisy, starts, horizon)
    assert not joined and difference < 0 < -difference < error
    assert not joins(first, np.full_like(first, np.nan), starts, horizon)[0] and not joins(None, first, starts, horizon)[0]
    assert not joins(first[:1], first[:1] - 1.0, [0], horizon)[0]  # one window: no standard error to clear


def test_the_level_networks_refit_trains_as_its_selection_run_settled_and_probes_xla_no_more(traced_models, monkeypatch):
    # Every training here plans XLA (its work threshold lowered); the probe decides without timing: not faster.
    from lstm_toolkit.training import xla

    probed = []

    def probe(model, train):
        probed.append(model)
        model.jit_compile = False
        return False

    monkeypatch.setattr(xla, "XLA_MIN_WORK", 1)
    monkeypatch.setattr(xla, "xla_pays", lambda *args, **kwargs: True)
    monkeypatch.setattr(xla, "choose_jit_compile", probe)
    calls, refitted = [], level.refitted
    monkeypatch.setattr(level, "refitted", lambda *args, **kwargs: calls.append(1) or refitted(*args, **kwargs))
    reverting = fit(mean_reverting(), refit=True)
    assert reverting.level_member_["joined"] and len(calls) == 1  # the level network was refit
    # One probe per form, in its selection run: the first network's and the level network's. Each refit takes
    # the choice its selection run settled on and trains in that run's compiled model (two forms, two traces).
    assert len(probed) == 2 and len({id(model) for model in probed}) == 2
    assert len(traced_models) == 2
