"""Shared fixtures, and one environment for the suite on every machine, whatever the shell that runs it."""

import atexit
import os
import shutil
import tempfile

# Variables a developer's shell may hold that would change what the toolkit or TensorFlow does:
# Keras Tuner's chief/worker mode, TF_CONFIG's cluster, the notebooks' budget, a GPU, a Keras
# config with another backend or float type. Tests that need one set it themselves.
for _name in list(os.environ):
    if _name.startswith(("KERASTUNER_", "LSTM_TOOLKIT_")) or _name in ("TF_CONFIG", "PYTHONWARNINGS", "PYTHONPATH", "PYTHONSTARTUP"):
        del os.environ[_name]
os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="lstm_toolkit_keras_home_")
atexit.register(shutil.rmtree, os.environ["KERAS_HOME"], True)
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
# TensorFlow switches oneDNN's kernels on by default only on some x86 CPUs (AVX-512 VNNI, AMX), the toolkit
# everywhere (`lstm_toolkit.backend`, for speed): off here, so every machine runs the same kernels and so the
# same floating-point sums (test_packaging checks the toolkit's default in processes of their own).
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def hourly_frame():
    """A small hourly series with a daily cycle and a trend (synthetic, for shape checks)."""
    index = pd.date_range("2024-01-01", periods=400, freq="h")
    steps = np.arange(400)
    values = 10 + 0.01 * steps + np.sin(2 * np.pi * steps / 24)
    return pd.DataFrame({"y": values, "x": np.cos(steps / 7.0)}, index=index)


@pytest.fixture
def counting_frame():
    """A series whose value is its row number: windows reveal exactly which rows they read."""
    return pd.DataFrame({"y": np.arange(300, dtype="float64")})


@pytest.fixture(scope="session")
def seattle():
    from lstm_toolkit.datasets import load

    return load("seattle_hourly_temperature")


def pytest_collection_modifyitems(items):
    """The long tests first (a stable sort), so that `make test`'s two workers run them side by side from
    the start instead of one worker finishing them alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def traced_models(monkeypatch):
    """The models whose training step was traced, one entry per trace (Python runs `train_step` once per trace).

    `fit` builds the optimizer and the trackers first (`training.build_training_state`), so each model's step
    is traced once: `len({id(m) for m in traced_models}) == len(traced_models)`.
    """
    import keras

    traced = []  # the models themselves, so that no id is reused within a test
    step = keras.Model.train_step

    def counted(self, data):
        traced.append(self)
        return step(self, data)

    monkeypatch.setattr(keras.Model, "train_step", counted)
    return traced


@pytest.fixture
def compiled_passes(monkeypatch):
    """The functions `backend.in_inference_mode` compiled, one per pass that did not run eagerly.

    Counted where the backend makes them (`backend.compiled`, looked up on the module at each pass); the forecast
    functions of `predict` are compiled from the name their own module imported, and are not counted.
    """
    from lstm_toolkit import backend

    made, compiled = [], backend.compiled

    def counted(*args):
        made.append(compiled(*args))
        return made[-1]

    monkeypatch.setattr(backend, "compiled", counted)
    return made


@pytest.fixture
def litert_forecast():
    """Runs a `.tflite` export on one batch of windows with the LiteRT interpreter: `run(path, windows) -> outputs`."""

    def run(path, windows):
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path))
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], windows.astype("float32"))
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])

    return run
