import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import keras
import keras_tuner
import numpy as np
import pandas as pd
import pytest

import lstm_toolkit
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.forecasting.choices import DEFAULT_LOOKBACK
from lstm_toolkit.tuning import RECORD_FILE, ClassifierSearchSpace, ForecastHyperModel, SearchSpace, tune

TINY_SPACE = SearchSpace(units=(8, 16), units_step=8, depth=(1, 2), dropout=(0.0, 0.2))
SETTINGS = dict(target="temp", lookback=24, horizon=3, epochs=2, space=TINY_SPACE, project_name="p")


@pytest.fixture(scope="module")
def data():
    return lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:700]


def test_search_space_fixes_narrows_and_skips_inactive_layers():
    hp = keras_tuner.HyperParameters()
    hp.Fixed("depth", 1)
    values = SearchSpace(depth=(1, 3), units=(32, 64)).declare(hp)
    assert values["units"] == (32,)
    assert not hp.is_active("units_2") and not hp.is_active("units_3")
    fixed = keras_tuner.HyperParameters()
    SearchSpace(depth=2, units=64, cell=("lstm", "gru")).declare(fixed)
    assert fixed.values["depth"] == 2 and fixed.values["units_2"] == 64
    assert fixed.space[[p.name for p in fixed.space].index("cell")].values == ["lstm", "gru"]
    assert SearchSpace.from_dict(json.loads(json.dumps(TINY_SPACE.to_dict()))) == TINY_SPACE


def test_default_search_space_matches_the_issue():
    space = SearchSpace()
    assert space.units == (32, 256) and space.depth == (1, 4) and space.dropout == (0.0, 0.5)
    hp = keras_tuner.HyperParameters()
    space.declare(hp)
    rate = hp.space[[p.name for p in hp.space].index("learning_rate")]
    assert rate.sampling == "log"


@pytest.mark.parametrize("kwargs", [{"depth": (3, 1)}, {"units": (0, 8)}, {"cell": ("rnn",)}, {"learning_rate": (0, 1)}])
def test_bad_search_spaces(kwargs):
    with pytest.raises(ConfigError):
        SearchSpace(**kwargs)


def test_a_reversed_range_says_low_must_not_exceed_high():
    # It used to say "must be a value or a (low, high) pair" of a pair, shown as the list it had been made into.
    with pytest.raises(ConfigError, match=r"`units` must be .* pair with low <= high\. Received: units=\(64, 16\)"):
        SearchSpace(units=(64, 16))


@pytest.mark.parametrize("dropout", [(0.0, 1.5), 1.0, (-0.1, 0.2)])
def test_a_dropout_rate_outside_0_to_1_is_refused_in_every_space(dropout):
    for space in (SearchSpace, ClassifierSearchSpace):
        with pytest.raises(ConfigError, match=r"`dropout` rates must lie in \[0, 1\)"):
            space(dropout=dropout)


def test_tune_resumes_where_it_stopped(data, tmp_path):
    first = tune(data, tuner="random", max_trials=2, directory=tmp_path, **SETTINGS)
    assert len(first.trials) == 2 and (first.trials["status"] == "COMPLETED").all()
    started = {t: json.loads((tmp_path / "p" / f"trial_{t}" / RECORD_FILE).read_text())["started_at"] for t in ("0", "1")}
    second = tune(data, tuner="random", max_trials=4, directory=tmp_path, **SETTINGS)
    assert list(second.trials["trial_id"]) == ["0", "1", "2", "3"]
    for trial_id, when in started.items():  # the first two trials were not run again
        assert json.loads((tmp_path / "p" / f"trial_{trial_id}" / RECORD_FILE).read_text())["started_at"] == when
    table = second.trials
    assert {"score", "depth", "units_1", "dropout", "learning_rate", "epochs", "best_epoch", "wall_time"} <= set(table.columns)
    assert table.loc[table["depth"] == 1, "units_2"].isna().all()
    best = table.loc[table["score"].idxmin()]
    assert second.best_hyperparameters["units_1"] == best["units_1"]
    assert second.best_model_config.units[0] == best["units_1"]
    assert (tmp_path / "p" / f"trial_{best['trial_id']}" / "best.keras").is_file()


def test_best_forecaster_predicts_and_saves(data, tmp_path):
    result = tune(data, tuner="bayesian", max_trials=2, directory=tmp_path, **SETTINGS)
    forecaster = result.forecaster
    assert forecaster.model_config_ == result.best_model_config
    forecast = forecaster.predict(data)
    assert forecast.shape == (3, 1)
    path = forecaster.save(tmp_path / "best")
    pd.testing.assert_frame_equal(lstm_toolkit.load(path).predict(data), forecast)


def test_tune_without_a_lookback_searches_at_the_forecasters_auto_lookback(data, tmp_path):
    settings = {key: value for key, value in SETTINGS.items() if key not in ("lookback", "epochs")}
    result = tune(data, tuner="random", max_trials=1, epochs=1, directory=tmp_path, **settings)
    assert (result.trials["status"] == "COMPLETED").all()
    # hourly data: a season of 24 rows, shorter than the default window, so "auto" reads 48 rows
    assert result.forecaster.spec_.lookback == DEFAULT_LOOKBACK == 48
    assert result.forecaster.predict(data).shape == (3, 1)


def test_a_probabilistic_search_optimises_the_validation_pinball_loss(data, tmp_path):
    result = tune(data, tuner="random", max_trials=1, directory=tmp_path, loss="quantile", quantiles=(0.1, 0.5, 0.9),
                  **SETTINGS)
    model = result.forecaster.model_
    assert type(model.loss).__name__ == "PinballLoss" and model.loss.quantiles == [0.1, 0.5, 0.9]
    assert list(result.forecaster.predict(data).columns) == ["temp", "temp_q0.1", "temp_q0.5", "temp_q0.9"]
    assert np.isfinite(result.trials["score"]).all()


def test_hyperband_runs(data, tmp_path):
    result = tune(data, tuner="hyperband", directory=tmp_path, **SETTINGS)
    assert (result.trials["status"] == "COMPLETED").any()


def test_a_diverging_trial_is_failed_and_the_search_goes_on(data, tmp_path, monkeypatch):
    original_fit = ForecastHyperModel.fit
    calls = []

    def diverge_first(self, hp, model, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            model.compile(optimizer="adam", loss=lambda y, p: keras.ops.mean(p) * np.nan)
        return original_fit(self, hp, model, *args, **kwargs)

    monkeypatch.setattr(ForecastHyperModel, "fit", diverge_first)
    result = tune(data, tuner="random", max_trials=3, directory=tmp_path, **SETTINGS)
    statuses = list(result.trials["status"])
    assert statuses[0] == "FAILED" and statuses[1:] == ["COMPLETED", "COMPLETED"]
    assert "diverged" in json.loads((tmp_path / "p" / "trial_0" / RECORD_FILE).read_text())["error"]


def test_unknown_tuner(data, tmp_path):
    with pytest.raises(ConfigError, match="tuner='grid'"):
        tune(data, tuner="grid", directory=tmp_path, **SETTINGS)


def test_an_objective_no_trial_logs_is_refused_before_any_trial(data, tmp_path):
    # A typo used to fail every trial inside Keras' EarlyStopping and return a search with no best trial.
    with pytest.raises(ConfigError, match=r"one of \['val_loss', 'loss', 'val_mae', 'mae'\]\. Received: objective='val_los'"):
        tune(data, objective="val_los", directory=tmp_path, **SETTINGS)


def test_a_space_of_the_wrong_kind_is_refused_before_the_data_is_read(data, tmp_path, monkeypatch):
    # A dict, or another search's space, ended in AttributeError ('dict' object has no attribute 'declare').
    from lstm_toolkit.tuning import FrameSearchSpace, tune_classifier, tune_frames

    monkeypatch.setattr(lstm_toolkit.Forecaster, "prepare", lambda *args: pytest.fail("read the data first"))
    with pytest.raises(ConfigError, match=r"`space` must be a SearchSpace \(from lstm_toolkit.tuning\), e.g. "
                                          r"SearchSpace\(\*\*space\)\. Received: space=\{'units': \(8, 16\)\}"):
        tune(data, directory=tmp_path, **{**SETTINGS, "space": {"units": (8, 16)}})
    with pytest.raises(ConfigError, match=r"`space` must be a ClassifierSearchSpace .*Received: space=SearchSpace\("):
        tune_classifier([np.zeros((5, 1))] * 4, ["a", "b"] * 2, space=TINY_SPACE, directory=tmp_path)
    with pytest.raises(ConfigError, match=r"`space` must be a FrameSearchSpace .*Received: space=ClassifierSearchSpace\(filters"):
        tune_frames(np.zeros((4, 8, 8, 8, 1)), space=ClassifierSearchSpace(), directory=tmp_path)
    assert isinstance(FrameSearchSpace(), FrameSearchSpace) and not list(tmp_path.iterdir())  # no search was started


def test_a_search_folder_under_a_file_is_refused_before_any_model(data, tmp_path, monkeypatch):
    (tmp_path / "runs").write_text("notes")
    monkeypatch.setattr(ForecastHyperModel, "build", lambda *args: pytest.fail("built a model first"))
    with pytest.raises(ConfigError, match=r"The search folder .*runs/p cannot be made: .*runs is a file"):
        tune(data, directory=tmp_path / "runs", **SETTINGS)
    assert (tmp_path / "runs").read_text() == "notes"
    assert not (tmp_path / "p").exists()  # no search was started


SCRIPT = """
import sys, lstm_toolkit
from lstm_toolkit.tuning import SearchSpace, tune
data = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:700]  # the `data` fixture; the search is SETTINGS'
space = SearchSpace(units=(8, 16), units_step=8, depth=(1, 2), dropout=(0.0, 0.2))
result = tune(data, target="temp", lookback=24, horizon=3, epochs=2, space=space, tuner="random",
              max_trials=4, directory=sys.argv[1], project_name="p")
if result.trials is not None:
    result.trials.to_json(sys.argv[2])
"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port, chief, timeout=120):
    """Waits until the chief's oracle server accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert chief.poll() is None, chief.communicate()[0]
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"the chief did not open port {port} within {timeout} s")


@pytest.mark.slow
def test_chief_and_two_workers_run_every_trial_once(data, tmp_path):
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(SCRIPT))
    port = str(_free_port())
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    base_env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    processes = []
    for tuner_id in ("chief", "tuner0", "tuner1"):
        env = {**base_env, "KERASTUNER_TUNER_ID": tuner_id, "KERASTUNER_ORACLE_IP": "127.0.0.1",
               "KERASTUNER_ORACLE_PORT": port}
        processes.append(subprocess.Popen([sys.executable, str(script), str(tmp_path / "dist"), str(tmp_path / "dist.json")],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        if tuner_id == "chief":
            _wait_for_port(int(port), processes[0])
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    distributed = pd.read_json(tmp_path / "dist.json", dtype={"trial_id": str})
    assert sorted(distributed["trial_id"]) == ["0", "1", "2", "3"]
    assert (distributed["status"] == "COMPLETED").all()
    runners = {json.loads((tmp_path / "dist" / "p" / f"trial_{t}" / RECORD_FILE).read_text())["tuner_id"]
               for t in distributed["trial_id"]}
    assert runners <= {"tuner0", "tuner1"} and len(runners) == 2  # both workers worked, the chief only served
    # The same search in this process (the script's settings are SETTINGS): the same trials, the same scores.
    alone = tune(data, tuner="random", max_trials=4, directory=tmp_path / "single", **SETTINGS).trials
    columns = ["trial_id", "status", "depth", "units_1", "units_2", "dropout", "learning_rate"]
    pd.testing.assert_frame_equal(distributed[columns], alone[columns], check_dtype=False)
    np.testing.assert_allclose(distributed["score"], alone["score"], rtol=1e-3)


def test_an_interrupted_trial_is_shown_and_resumed(data, tmp_path, monkeypatch):
    original_fit = ForecastHyperModel.fit
    calls = []

    def interrupt_second(self, hp, model, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C in the middle of trial 1
        return original_fit(self, hp, model, *args, **kwargs)

    monkeypatch.setattr(ForecastHyperModel, "fit", interrupt_second)
    with pytest.raises(KeyboardInterrupt):
        tune(data, tuner="random", max_trials=3, directory=tmp_path, **SETTINGS)
    record = json.loads((tmp_path / "p" / "trial_1" / RECORD_FILE).read_text())
    assert "wall_time" in record and "epochs" not in record  # the record says it did not finish
    assert json.loads((tmp_path / "p" / "trial_1" / "trial.json").read_text())["status"] == "RUNNING"
    monkeypatch.setattr(ForecastHyperModel, "fit", original_fit)
    resumed = tune(data, tuner="random", max_trials=3, directory=tmp_path, **SETTINGS)
    assert list(resumed.trials["trial_id"]) == ["0", "1", "2"]
    assert (resumed.trials["status"] == "COMPLETED").all()


def test_tune_searches_a_global_model_of_many_series(tmp_path, traced_models):
    wide = lstm_toolkit.datasets.load("us_employment_monthly").iloc[:, :3]
    long = wide.reset_index().melt(id_vars="month", var_name="sector", value_name="jobs")
    result = tune(long, target="jobs", time_col="month", series_id="sector", lookback=12, horizon=3, epochs=1,
                  space=TINY_SPACE, tuner="random", max_trials=1, directory=tmp_path, project_name="many",
                  validation=12)
    forecaster = result.forecaster
    assert (result.trials["status"] == "COMPLETED").all()
    assert traced_models and len({id(m) for m in traced_models}) == len(traced_models)  # each model's step traced once
    assert sorted(forecaster.scalers_) == sorted(wide.columns)  # one scaler per series: the many-series path
    forecast = forecaster.predict(long)
    assert list(forecast.columns[:1]) == ["sector"] and set(forecast["sector"]) == set(wide.columns)
    assert len(forecast) == 3 * 3
    loaded = lstm_toolkit.load(forecaster.save(tmp_path / "global"))
    pd.testing.assert_frame_equal(loaded.predict(long), forecast)


def test_tune_classifier_searches_lstm_fcn_filters_kernels_and_units(tmp_path, traced_models):
    from lstm_toolkit.sequences.classifier import SequenceClassifier
    from lstm_toolkit.tuning import ClassifierSearchSpace, tune_classifier

    rng = np.random.default_rng(0)
    y = np.array(["a", "b"] * 20)
    X = [rng.normal(size=(int(rng.integers(8, 16)), 1)) + 2.0 * (label == "b") for label in y]
    space = ClassifierSearchSpace(filters=(4, 8), filters_step=4, kernel_sizes=((3, 3, 3), (5, 3, 3)), units=(4, 8),
                                  units_step=4, dropout=0.2, learning_rate=1e-2)
    result = tune_classifier(X, y, tuner="random", max_trials=2, epochs=4, space=space, directory=tmp_path,
                             project_name="clf", seed=0)
    assert len(result.trials) == 2 and set(result.trials["status"]) == {"COMPLETED"}
    assert len(traced_models) >= 2 and len({id(m) for m in traced_models}) == len(traced_models)  # once per model
    assert {"filters_1", "filters_2", "filters_3", "kernel_sizes", "units"} <= set(result.trials.columns)
    best = result.estimator
    assert isinstance(best, SequenceClassifier) and best.model.architecture == "lstm_fcn"
    assert best.model.fcn.filters[0] in (4, 8) and best.model.units[0] in (4, 8)
    assert result.best_model_config == best.model
    best.save(tmp_path / "best")
    np.testing.assert_array_equal(SequenceClassifier.load(tmp_path / "best").predict(X), best.predict(X))
    with pytest.raises(ConfigError, match="validation"):
        tune_classifier(X, y, max_trials=1, epochs=1, validation=0, directory=tmp_path, project_name="none")
    # An accuracy is maximised (it used to be minimised: every objective was), as Keras' callbacks monitor it.
    accuracy = tune_classifier(X, y, tuner="random", max_trials=1, epochs=1, space=space, directory=tmp_path,
                               project_name="accuracy", seed=0, objective="val_binary_accuracy")
    assert accuracy.tuner.oracle.objective.direction == "max" and result.tuner.oracle.objective.direction == "min"
    with pytest.raises(ConfigError, match="architecture"):
        ClassifierSearchSpace(architecture=("stacked",))
