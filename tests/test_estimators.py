"""One contract, checked on every estimator (as scikit-learn's common estimator checks)."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import lstm_toolkit
from lstm_toolkit import AnomalyDetector, Forecaster, FrameForecaster, ModelConfig, SequenceClassifier, SequenceLabeller
from lstm_toolkit.backend import keras
from lstm_toolkit.errors import BundleError, ConfigError, LstmToolkitError, NotFittedError

TINY = ModelConfig(units=(4,))


def _sequences(n=24, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = [rng.normal(size=(int(rng.integers(8, 14)), 2)) + 2.0 * label for label in y]
    return X, y


def _steps(n=24, seed=0):
    rng = np.random.default_rng(seed)
    Y = [np.repeat([0, 1, 0], rng.integers(3, 6, 3)) for _ in range(n)]
    return [rng.normal(size=(len(labels), 2)) + 3.0 * labels[:, None] for labels in Y], Y


def _temperature():
    return lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:400]


def _signal():
    return lstm_toolkit.datasets.load("ecg_mitdb_labeled").iloc[:600][["data"]]


def _frames():
    return lstm_toolkit.datasets.moving_digits(n_sequences=6, n_frames=6, size=10, seed=0)


def _with_nan(value):
    if isinstance(value, pd.DataFrame):
        broken = value.copy()
        broken.iloc[-1, 0] = np.nan  # in the last row: a forecaster reads only the last window
        return broken
    if isinstance(value, list):
        return [_with_nan(value[0]), *value[1:]]
    broken = np.array(value, dtype="float64", copy=True)
    broken.flat[broken.size // 2] = np.nan
    return broken


def _extra_channel(value):
    if isinstance(value, pd.DataFrame):
        return value.assign(extra=1.0) if "temp" not in value else value[[]]
    if isinstance(value, list):
        return [np.concatenate([x, x[:, :1]], axis=1) for x in value]
    return np.concatenate([value, value[..., :1]], axis=-1)


# name: (unfitted estimator, fit arguments, the input predict takes, what predict returns for comparison)
CASES = {
    "Forecaster": (
        lambda: Forecaster(lookback=24, horizon=2, target="temp", model=TINY, epochs=1, verbose=0, seed=0),
        lambda: (_temperature(),),
        _temperature,
    ),
    "FrameForecaster": (
        lambda: FrameForecaster(lookback=3, filters=(2,), epochs=1, verbose=0, seed=0),
        lambda: (_frames(),),
        lambda: _frames()[0, :3],
    ),
    "SequenceClassifier": (
        lambda: SequenceClassifier(model=ModelConfig(units=(4,), window_norm="none"), epochs=1, verbose=0, seed=0),
        _sequences,
        lambda: _sequences()[0],
    ),
    "SequenceLabeller": (
        lambda: SequenceLabeller(model=ModelConfig(units=(4,), bidirectional=True, window_norm="none"), epochs=1,
                                 verbose=0, seed=0),
        _steps,
        lambda: _steps()[0],
    ),
    "AnomalyDetector": (
        lambda: AnomalyDetector(lookback=16, model=TINY, epochs=1, verbose=0, seed=0),
        lambda: (_signal(),),
        _signal,
    ),
}
NAMES = list(CASES)


def _as_array(prediction):
    if isinstance(prediction, pd.DataFrame):
        return prediction.to_numpy(dtype="float64")
    if isinstance(prediction, list):
        return np.concatenate([np.asarray(p, dtype="float64").ravel() for p in prediction])
    return np.asarray(prediction, dtype="float64")


@pytest.fixture(scope="module")
def fitted():
    estimators = {}
    for name, (make, fit_args, _) in CASES.items():
        estimator = make()
        assert estimator.fit(*fit_args()) is estimator  # fit returns self
        estimators[name] = estimator
    return estimators


@pytest.mark.parametrize("name", NAMES)
def test_an_unfitted_estimator_says_so(name, tmp_path):
    make, _, predict_input = CASES[name]
    estimator = make()
    assert not estimator.is_fitted
    with pytest.raises(NotFittedError, match=f"This {name} is not fitted yet"):
        estimator.predict(predict_input())
    with pytest.raises(NotFittedError):
        estimator.save(tmp_path / "never")
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("name", NAMES)
def test_clone_gives_an_unfitted_equal(name, fitted):
    estimator = fitted[name]
    copy = clone(estimator)
    assert type(copy) is type(estimator) and not copy.is_fitted and estimator.is_fitted
    assert copy.get_params(deep=True) == estimator.get_params(deep=True)
    assert repr(copy) == repr(estimator) and repr(copy).startswith(f"{name}(")
    assert copy.set_params(seed=7) is copy and copy.seed == 7 and estimator.seed == 0
    with pytest.raises(LstmToolkitError, match="Unknown parameter"):
        copy.set_params(no_such_parameter=1)


# name: what `score` takes (data the estimator was not fit on, where it needs some)
SCORE_INPUTS = {
    "Forecaster": lambda: (lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:460],),
    "FrameForecaster": lambda: (_frames(),),
    "SequenceClassifier": lambda: _sequences(seed=1),
    "SequenceLabeller": lambda: _steps(seed=1),
    "AnomalyDetector": lambda: _labelled_signal(),
}


def _labelled_signal():
    part = lstm_toolkit.datasets.load("ecg_mitdb_labeled").iloc[6600:7200]  # normal and anomalous steps
    return part[["data"]], part["label"].to_numpy()


@pytest.mark.parametrize("name", NAMES)
def test_score_is_one_number_and_evaluate_a_table_with_the_model_first(name, fitted):
    score = fitted[name].score(*SCORE_INPUTS[name]())
    assert type(score) is float and np.isfinite(score)
    table = fitted[name].evaluate(*SCORE_INPUTS[name]())
    assert isinstance(table, pd.DataFrame) and len(table) >= 2  # the model beside at least one baseline
    assert table.index[0] in ("model", "detector")
    with pytest.raises(NotFittedError):
        CASES[name][0]().score(*SCORE_INPUTS[name]())


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_raises_the_toolkits_error(name, fitted):
    estimator = fitted[name]
    data = CASES[name][2]()
    with pytest.raises(LstmToolkitError, match="(?i)nan|finite|missing"):
        estimator.predict(_with_nan(data))
    with pytest.raises(LstmToolkitError, match="(?i)column|channel|shape|feature"):
        estimator.predict(_extra_channel(data))
    empty = data.iloc[:0] if isinstance(data, pd.DataFrame) else ([] if isinstance(data, list) else data[:0])
    with pytest.raises(LstmToolkitError):
        estimator.predict(empty)


@pytest.mark.parametrize("name", NAMES)
def test_bad_callbacks_or_seed_are_refused_before_any_training(name, monkeypatch):
    make, fit_args, _ = CASES[name]
    monkeypatch.setattr(keras.Model, "fit", lambda *args, **kwargs: pytest.fail("trained"))
    for bad, message in (({"callbacks": "early"}, r"`callbacks` must be a list of keras\.callbacks\.Callback"),
                         ({"callbacks": [print]}, r"`callbacks` must be a list"),
                         ({"seed": "a"}, r"`seed` must be an integer >= 0, or None")):
        with pytest.raises(ConfigError, match=message):
            make().set_params(**bad).fit(*fit_args())


@pytest.mark.parametrize("name", NAMES)
def test_the_seed_alone_decides_the_model_whatever_the_process_drew_before(name, fitted):
    # The estimator seeds Keras before it draws the weights: a FrameForecaster drew them first, so its first fit in a
    # process differed from the next ones with the same seed.
    make, fit_args, predict_input = CASES[name]
    keras.utils.set_random_seed(12345)
    np.asarray(keras.random.normal((64,)))  # and draw from it, as another fit would
    again = make().fit(*fit_args())
    np.testing.assert_allclose(_as_array(again.predict(predict_input())), _as_array(fitted[name].predict(predict_input())),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_numpy_numbers_train_as_python_numbers_and_save(name, fitted, tmp_path):
    make, fit_args, predict_input = CASES[name]
    plain = make().get_params()
    numeric = {key: value for key, value in plain.items()
               if key in ("seed", "epochs", "batch_size", "patience", "lookback", "horizon", "learning_rate")
               and isinstance(value, (int, float)) and not isinstance(value, bool)}
    assert {"seed", "epochs", "learning_rate"} <= set(numeric)
    # What numpy hands out (an int64 from a grid, a float32 from an array): each was refused or crashed a step.
    as_numpy = {key: np.int64(value) if isinstance(value, int) else np.float32(value) for key, value in numeric.items()}
    estimator = make().set_params(**as_numpy).fit(*fit_args())
    np.testing.assert_allclose(_as_array(estimator.predict(predict_input())),
                               _as_array(fitted[name].predict(predict_input())), rtol=1e-3, atol=1e-4)
    params = json.loads((estimator.save(tmp_path / "numpy") / "estimator.json").read_text())["params"]
    assert all(type(params[key]) is type(value) for key, value in numeric.items()), params


LOAD_ALL = """
import json, sys
import numpy as np, pandas as pd
import lstm_toolkit
sys.path.insert(0, sys.argv[2])
from test_estimators import CASES, _as_array
out = {}
for name, path in json.loads(sys.argv[1]).items():
    for repeat in range(6):  # each load compiles its own graph: six in a row must not read as retracing
        estimator = lstm_toolkit.load(path)
        prediction = _as_array(estimator.predict(CASES[name][2]())).tolist()
        out.setdefault(name, [type(estimator).__name__, prediction])
print(json.dumps(out))
"""


def test_save_and_load_in_a_fresh_process_predict_identically_without_retracing_warnings(fitted, tmp_path):
    paths = {name: str(estimator.save(tmp_path / name)) for name, estimator in fitted.items()}
    tests_folder = str(__import__("pathlib").Path(__file__).parent)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(LOAD_ALL), json.dumps(paths), tests_folder],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "retracing" not in result.stderr, result.stderr  # TensorFlow's "triggered tf.function retracing" warning
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    for name, estimator in fitted.items():
        kind, prediction = loaded[name]
        assert kind == name
        np.testing.assert_array_equal(np.asarray(prediction), _as_array(estimator.predict(CASES[name][2]())))


def test_a_bundle_of_another_kind_is_refused_clearly(fitted, tmp_path):
    path = fitted["Forecaster"].save(tmp_path / "forecaster")
    for other in (SequenceClassifier, SequenceLabeller, AnomalyDetector, FrameForecaster):
        with pytest.raises(BundleError, match=f"holds a Forecaster, not an? {other.__name__}. .*lstm_toolkit.load"):
            other.load(path)
    assert isinstance(Forecaster.load(path), Forecaster) and isinstance(lstm_toolkit.load(path), Forecaster)
