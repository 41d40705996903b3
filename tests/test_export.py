"""Export: LiteRT files run in the LiteRT interpreter, SavedModels serve raw windows, the CLI."""

import contextlib
import io
import json
import re

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter  # a test dependency: never skipped

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.cli import main
from lstm_toolkit.errors import BundleError, ConfigError, DataError
from lstm_toolkit.serving.streaming import load_litert, sidecar_path
from lstm_toolkit.training import tbptt

BUILTIN_ONLY = {"FLEX", "CUSTOM", "VAR_HANDLE", "READ_VARIABLE"}


@pytest.fixture(scope="module")
def data():
    return lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:1300]


def make(stateful, **kwargs):
    settings = dict(lookback=24, horizon=3, target="temp", calendar=("hour",), model=ModelConfig(units=(16, 8)),
                    epochs=1, verbose=0, seed=0, stateful=stateful)
    settings.update(kwargs)
    return Forecaster(**settings)


@pytest.fixture(scope="module", params=[False, True], ids=["window", "stateful"])
def fitted(request, data):
    return make(request.param).fit(data.iloc[:1000])


def litert_ops(path):
    """The operator names of a .tflite file, from TensorFlow's public model analyzer."""
    listing = io.StringIO()
    with contextlib.redirect_stdout(listing):
        tf.lite.experimental.Analyzer.analyze(model_path=str(path))
    return set(re.findall(r"Op#\d+ (\w+)\(", listing.getvalue()))


def raw_inputs(fc, frame):
    """The raw input channels of `frame` (data columns, then calendar sin/cos), as the SavedModel takes them."""
    series = fc.windowed(frame)
    n_data = len(fc.spec_.input_columns)
    return np.concatenate([frame[list(fc.spec_.input_columns)].to_numpy(), series.inputs[:, n_data:]], axis=1)


def test_litert_export_runs_in_the_interpreter_and_matches_keras(fitted, data, tmp_path):
    path = fitted.export(tmp_path / "model.tflite", format="litert")
    interpreter = Interpreter(model_path=str(path))
    ops = litert_ops(path)
    assert "FULLY_CONNECTED" in ops, ops  # the analyzer's listing was read
    assert not ops & BUILTIN_ONLY and not any(op.startswith("Flex") for op in ops), ops
    sidecar = json.loads(open(sidecar_path(path)).read())
    assert sidecar["kind"] == ("stateful" if fitted.stateful else "window")
    assert sidecar["spec"]["lookback"] == 24 and sidecar["input_channels"][0] == "temp"
    runner = interpreter.get_signature_runner()
    if fitted.stateful:  # one step with explicit states, against the Keras model's TF step
        keras_step = tbptt.SequenceRunner(fitted.model_, fitted.model_config_).step
        states = [np.zeros((1, s), "float32") for s in sidecar["state_sizes"]]
        keras_states = [s.copy() for s in states]
        rows = fitted.windowed(data.iloc[1000:1060]).inputs
        for row in rows:
            out = runner(x=row[None], **dict(zip(sidecar["state_names"], states)))
            expected, keras_states = keras_step(row[None], keras_states)
            np.testing.assert_allclose(out["forecast"], expected, atol=1e-5)
            states = [out[name] for name in sidecar["state_names"]]
    else:
        windows = fitted.windows(data.iloc[1000:1100], ends=np.arange(23, 100, 7))
        for window in windows:
            out = runner(window=window[None])["forecast"]
            np.testing.assert_allclose(out, fitted.model_(window[None]).numpy(), atol=1e-5)


def test_a_damped_reference_exports_with_builtin_ops(data, tmp_path):
    fc = make(False, model=ModelConfig(units=(8,), window_norm="damped", smoothing=(0.3, 0.1, 0.9))).fit(data.iloc[:600])
    path = fc.export(tmp_path / "damped.tflite", format="litert")
    ops = litert_ops(path)
    assert "FULLY_CONNECTED" in ops and not ops & BUILTIN_ONLY and not any(op.startswith("Flex") for op in ops), ops
    runner = Interpreter(model_path=str(path)).get_signature_runner()
    for window in fc.windows(data.iloc[600:700], ends=np.arange(23, 100, 19)):
        np.testing.assert_allclose(runner(window=window[None])["forecast"], fc.model_(window[None]).numpy(), atol=1e-5)


def test_a_forecast_combined_with_its_ridge_regression_exports_as_it_forecasts(data, tmp_path):
    fc = make(False, model=ModelConfig(units=(8,), highway=True), linear_share=0.5).fit(data.iloc[:600])
    assert fc.linear_ is not None  # the weights hold the combination (`linear_share`)
    runner = Interpreter(model_path=str(fc.export(tmp_path / "combined.tflite", format="litert"))).get_signature_runner()
    frame = data.iloc[600:700]
    for end, window in zip(np.arange(23, 100, 19), fc.windows(frame, ends=np.arange(23, 100, 19))):
        expected = fc.predict(frame.iloc[: end + 1])["temp"].to_numpy()
        forecast = fc.scaler_.inverse_transform(runner(window=window[None])["forecast"][0])[:, 0]
        np.testing.assert_allclose(forecast, expected, rtol=1e-4)


def test_litert_streamer_equals_the_in_process_streamer(fitted, data, tmp_path):
    path = fitted.export(tmp_path / "model.tflite")
    device, local = load_litert(path), fitted.streamer()
    for timestamp, value in data["temp"].iloc[1000:1080].items():
        a, b = device.update(value, timestamp=timestamp), local.update(value, timestamp=timestamp)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_saved_model_serves_raw_windows_in_original_units(fitted, data, tmp_path):
    path = fitted.export(tmp_path / "served", format="saved_model")
    serving = tf.saved_model.load(str(path)).signatures["serving_default"]
    history = data.iloc[1000:1200]
    window = raw_inputs(fitted, history)
    if not fitted.stateful:
        window = window[-24:]
    forecast = serving(window=tf.constant(window[None], tf.float32))["forecast"].numpy()[0]
    np.testing.assert_allclose(forecast, fitted.predict(history).to_numpy(), atol=1e-4)


def test_saved_model_step_signature_of_a_stateful_model(data, tmp_path):
    fc = make(True, calendar=()).fit(data.iloc[:1000])
    loaded = tf.saved_model.load(str(fc.export(tmp_path / "served", format="saved_model")))
    step = loaded.signatures["step"]
    names = lstm_toolkit.models.state_names(fc.model_config_)
    states = {n: tf.zeros((1, s)) for n, s in zip(names, lstm_toolkit.models.state_sizes(fc.model_config_))}
    streamer = fc.streamer()
    for value in data["temp"].iloc[1000:1030]:
        out = step(x=tf.constant([[value]], tf.float32), **states)
        states = {n: out[n] for n in names}
        np.testing.assert_allclose(out["forecast"].numpy()[0], streamer.update(value), atol=1e-4)


def test_export_errors_are_clear(fitted, data, tmp_path):
    with pytest.raises(ConfigError, match="format"):
        fitted.export(tmp_path / "m.onnx", format="onnx")
    with pytest.raises(ConfigError, match=".tflite"):
        fitted.export(tmp_path / "model.bin", format="litert")
    precious = tmp_path / "precious.tflite"
    precious.write_bytes(b"user data")
    with pytest.raises(BundleError, match="refusing to overwrite"):
        fitted.export(precious)
    assert precious.read_bytes() == b"user data"
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(BundleError, match="not a SavedModel"):
        fitted.export(folder, format="saved_model")
    assert (folder / "notes.txt").read_text() == "keep me"


def test_recursive_models_do_not_export(data, tmp_path):
    recursive = make(False, strategy="recursive", calendar=(), model=ModelConfig(units=(4,))).fit(data.iloc[:400])
    with pytest.raises(ConfigError, match="direct"):
        recursive.export(tmp_path / "r.tflite")


def test_litert_loading_errors_name_the_fix(fitted, tmp_path):
    path = fitted.export(tmp_path / "model.tflite")
    side = tmp_path / "model.json"
    side.write_text("{not json")
    with pytest.raises(DataError, match="export the model again"):
        load_litert(path)
    side.unlink()
    with pytest.raises(DataError, match="no sidecar"):
        load_litert(path)
    with pytest.raises(DataError, match="No exported model"):
        load_litert(tmp_path / "missing.tflite")


def test_cli_export_writes_both_formats(data, tmp_path, capsys):
    bundle = make(False, calendar=()).fit(data.iloc[:600]).save(tmp_path / "bundle")
    assert main(["export", "--model", str(bundle), "--format", "litert", "--out", str(tmp_path / "m.tflite")]) == 0
    assert "m.json" in capsys.readouterr().out
    assert load_litert(tmp_path / "m.tflite").lookback == 24
    assert main(["export", "--model", str(bundle), "--format", "saved_model", "--out", str(tmp_path / "sm")]) == 0
    assert (tmp_path / "sm" / "saved_model.pb").is_file()
    assert main(["export", "--model", str(tmp_path / "nowhere"), "--format", "litert", "--out", str(tmp_path / "x.tflite")]) == 2
    assert "No bundle" in capsys.readouterr().err
