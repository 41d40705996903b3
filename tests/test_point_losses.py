"""The loss a point Forecaster trains on: "mse", "mae", and "auto" (the absolute error for a panel scaled by naive
errors), with the ridge regression going with the squared error (`linear_share="auto"`)."""

import types

import numpy as np
import pandas as pd
import pytest

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.forecasting import choices, fitting, level
from lstm_toolkit.forecasting.linear import DEFAULT_LINEAR_SHARE
from lstm_toolkit.training import TrainingConfig


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(1)
    return {f"s{k}": pd.DataFrame({"value": 50 + np.cumsum(rng.normal(0.5 * k, 1.0 + k, 30))},
                                  index=pd.date_range("1980-01-01", periods=30, freq="YS")) for k in range(3)}


@pytest.fixture
def trainings(monkeypatch):
    """The `fitting.WindowTraining` of each fit, and the loss each network was compiled with."""
    seen = {"training": [], "compiled": []}
    fit_of, compile_of = level.fit, fitting.compile_model
    monkeypatch.setattr(level, "fit", lambda training, *args, **kwargs: seen["training"].append(training)
                        or fit_of(training, *args, **kwargs))
    monkeypatch.setattr(fitting, "compile_model", lambda model, config, **kwargs: seen["compiled"].append(
        kwargs.get("loss", config.loss)) or compile_of(model, config, **kwargs))
    return seen


def small(**kwargs):
    settings = dict(lookback=6, horizon=3, target="value", validation=3, model=ModelConfig(units=(4,)), epochs=1,
                    verbose=0, seed=0, level_member=False, reference_fallback=False)
    return Forecaster(**{**settings, **kwargs})


def test_loss_auto_trains_a_panel_on_the_absolute_error_without_the_ridge(panel, trainings, tmp_path):
    fc = small().fit(panel)
    assert fc.loss == "auto" and fc.linear_share == "auto"  # the constructor's defaults
    assert {scaler.kind for scaler in fc.scalers_.values()} == {"naive"} and fc.loss_ == "mae"
    training = trainings["training"][-1]
    assert training.config.loss == "mae" and training.linear_share == 0 and fc.linear_ is None
    assert set(trainings["compiled"]) == {"mae"}
    assert not fc.probabilistic and fc.for_series("s1").loss_ == "mae"
    forecast = fc.predict(panel)
    loaded = lstm_toolkit.load(fc.save(tmp_path / "panel"))
    assert loaded.loss_ == "mae"
    pd.testing.assert_frame_equal(loaded.predict(panel), forecast)


def test_loss_auto_keeps_the_squared_error_and_the_ridge_for_one_series(panel, trainings):
    fc = small().fit(panel["s1"])
    assert fc.loss_ == "mse" and set(trainings["compiled"]) == {"mse"}
    assert trainings["training"][-1].linear_share == DEFAULT_LINEAR_SHARE


@pytest.mark.parametrize("settings, loss, share", [
    ({"scaler": "standard"}, "mse", DEFAULT_LINEAR_SHARE),  # a panel not scaled by naive errors
    ({"loss": "mse"}, "mse", DEFAULT_LINEAR_SHARE),
    ({"linear_share": 0.3}, "mae", 0.3),
    ({"loss": "mae", "linear_share": 0.5}, "mae", 0.5),
], ids=["standard-scaler", "mse", "share-given", "both-given"])
def test_what_a_user_gives_is_kept(panel, trainings, settings, loss, share):
    fc = small(**settings).fit(panel)
    assert fc.loss_ == loss and trainings["training"][-1].linear_share == share


def test_a_tuner_trial_trains_on_the_forecasters_loss(panel):
    fc = small(loss="mae")
    fc.prepare(panel)
    model = fc.compile_network(fc.build_network(), TrainingConfig(epochs=1))  # what a tuner trial compiles
    assert model.loss == "mae"


@pytest.mark.parametrize("is_global, kind, loss", [(True, "naive", "mae"), (True, "standard", "mse"),
                                                    (False, "naive", "mse")])  # one series scaled by its naive error
def test_resolve_loss_reads_the_problem(is_global, kind, loss):
    problem = types.SimpleNamespace(is_global=is_global, scaler=lstm_toolkit.data.Scaler(kind))
    assert choices.resolve_loss("auto", problem) == loss
    assert choices.resolve_loss("quantile", problem) == "quantile"
