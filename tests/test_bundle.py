import errno
import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig, bundle
from lstm_toolkit.errors import BundleError


@pytest.fixture(scope="module")
def data():
    return lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:700]


@pytest.fixture(scope="module")
def fitted(data):
    return Forecaster(lookback=24, horizon=2, target="temp", model=ModelConfig(units=(4,)), epochs=1, verbose=0, seed=0).fit(data)


@pytest.fixture
def saved(fitted, tmp_path):
    return fitted.save(tmp_path / "bundle")


def test_bundle_layout_is_keras_plus_json_without_pickle(saved):
    assert sorted(p.name for p in saved.iterdir()) == ["estimator.json", "manifest.json", "model.keras"]
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["format"] == "lstm_toolkit.bundle" and manifest["format_version"] == 1
    assert {"keras", "tensorflow", "lstm_toolkit"} <= set(manifest["versions"])
    state = json.loads((saved / "estimator.json").read_text())["state"]
    assert state["scaler"]["kind"] == "standard" and isinstance(state["scaler"]["params"]["mean_"][0], float)
    with zipfile.ZipFile(saved / "model.keras") as archive:
        names = archive.namelist()
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in names)


def test_tampered_json_is_detected(saved):
    path = saved / "estimator.json"
    path.write_text(path.read_text().replace('"lookback": 24', '"lookback": 25'))
    with pytest.raises(BundleError, match="estimator.json .* does not match its checksum"):
        Forecaster.load(saved)


def test_truncated_model_is_detected(saved):
    path = saved / "model.keras"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(BundleError, match="model.keras .*truncated or modified"):
        Forecaster.load(saved)


def test_missing_file_and_missing_bundle(saved, tmp_path):
    with pytest.raises(BundleError, match="does not exist"):
        Forecaster.load(tmp_path / "nowhere")
    (saved / "model.keras").unlink()
    with pytest.raises(BundleError, match="model.keras is missing"):
        Forecaster.load(saved)
    (saved / "manifest.json").unlink()
    with pytest.raises(BundleError, match="not an lstm_toolkit bundle"):
        Forecaster.load(saved)


LOAD_WITHOUT_TENSORFLOW = """
import sys
import lstm_toolkit
for path in sys.argv[1:]:
    try:
        lstm_toolkit.load(path)
    except lstm_toolkit.BundleError as error:
        print(str(error))
print("tensorflow" in sys.modules)
"""


def test_a_wrong_path_or_a_corrupt_manifest_is_refused_before_tensorflow_loads(tmp_path):
    # `lstm-toolkit predict --model <typo>` took 6 s to say the folder does not exist: TensorFlow loaded first.
    import subprocess
    import sys

    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "manifest.json").write_text("{not json")
    result = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_TENSORFLOW, str(tmp_path / "nowhere"),
                             str(tmp_path / "corrupt")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    missing, corrupt, loaded = result.stdout.splitlines()
    assert missing.startswith(f"No bundle at {tmp_path / 'nowhere'}: the folder does not exist")
    assert corrupt.startswith(f"The manifest of {tmp_path / 'corrupt'} is corrupt")
    assert loaded == "False"  # and TensorFlow is not loaded


def test_a_file_given_for_the_bundle_folder_is_named_as_one(saved):
    with pytest.raises(BundleError, match=r"model\.keras is a file; a bundle is the folder that `save` writes"):
        Forecaster.load(saved / "model.keras")


def test_newer_format_version_is_refused(saved):
    path = saved / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 99
    path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="format version 99.*reads version 1"):
        Forecaster.load(saved)


def test_corrupt_manifest(saved):
    (saved / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="manifest .* is corrupt"):
        Forecaster.load(saved)


@pytest.mark.parametrize("field, value, named", [
    ("estimator", None, "'estimator' must name the estimator's class; it holds None"),
    ("files", ["model.keras"], "'files' must map each file to its SHA-256"),
    ("files", {"model.keras": 1}, "'files' must map each file to its SHA-256"),
])
def test_a_manifest_of_valid_json_but_the_wrong_shape_is_named_corrupt(saved, field, value, named):
    path = saved / "manifest.json"
    manifest = json.loads(path.read_text())
    if value is None:
        del manifest[field]
    else:
        manifest[field] = value
    path.write_text(json.dumps(manifest))
    for load in (Forecaster.load, lstm_toolkit.load):
        with pytest.raises(BundleError, match=f"manifest of .* is corrupt \\({named}.*Save the model again"):
            load(saved)
    manifest["format_version"], manifest["versions"] = 99, "3.15"  # a newer bundle still names the format it needs
    path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=r"format version 99.*wrote it \(unknown\)"):
        Forecaster.load(saved)


def test_unsafe_keras_content_is_refused(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    path = bundle.save_bundle(tmp_path / "lambda", model, "Forecaster", params={}, state={})
    with pytest.raises(BundleError, match="could not be loaded"):
        bundle.load_bundle(path)


def _crash_on_model_save(monkeypatch, error):
    def broken_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as handle:
            handle.write(b"half a model")
        raise error

    monkeypatch.setattr(keras.Model, "save", broken_save)


@pytest.mark.parametrize(
    "error", [RuntimeError("crash midway"), OSError(errno.ENOSPC, "No space left on device")]
)
def test_a_failed_save_leaves_the_previous_bundle_intact(fitted, data, saved, monkeypatch, error):
    before = fitted.predict(data)
    other = Forecaster(lookback=24, horizon=2, target="temp", model=ModelConfig(units=(4,)), epochs=1, verbose=0, seed=1).fit(data)
    _crash_on_model_save(monkeypatch, error)
    with pytest.raises(type(error)):
        other.save(saved)
    monkeypatch.undo()
    assert sorted(p.name for p in saved.parent.iterdir()) == ["bundle"]  # no partial folder left behind
    pd.testing.assert_frame_equal(Forecaster.load(saved).predict(data), before)


def test_a_full_disk_while_writing_json_leaves_no_trace(fitted, tmp_path, monkeypatch):
    def full_disk(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError, match="No space"):
        fitted.save(tmp_path / "new")
    assert list(tmp_path.iterdir()) == []


def test_saving_again_replaces_the_bundle(fitted, data, saved):
    fitted.save(saved)
    assert sorted(p.name for p in saved.parent.iterdir()) == ["bundle"]
    np.testing.assert_allclose(Forecaster.load(saved).predict(data), fitted.predict(data))


def test_a_folder_that_is_not_a_bundle_is_never_overwritten(fitted, tmp_path):
    precious = tmp_path / "work"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(BundleError, match="not an lstm_toolkit bundle; refusing to overwrite"):
        fitted.save(precious)
    assert (precious / "notes.txt").read_text() == "keep me"


def test_the_wrong_estimator_is_refused(saved):
    with pytest.raises(BundleError, match="holds a Forecaster, not a SequenceClassifier"):
        bundle.load_bundle(saved, estimator="SequenceClassifier")
    with pytest.raises(BundleError, match="holds a Forecaster, not an AnomalyDetector"):
        bundle.load_bundle(saved, estimator="AnomalyDetector")


OLD_BUNDLES = Path(__file__).parent / "data" / "bundles_73823d3"


@pytest.mark.parametrize("name", ["recursive_gauss", "stateful", "many"])
def test_bundles_saved_before_the_estimator_core_refactor_predict_the_same(name):
    """Bundles written by the code of 73823d3 (see make_bundles.py there) load and predict exactly as they did."""
    df = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:700]
    expected = np.array(json.loads((OLD_BUNDLES / "predictions.json").read_text())[name])
    forecaster = lstm_toolkit.load(OLD_BUNDLES / name)
    if name == "many":
        parts = [df.iloc[:400].assign(temp=df["temp"].iloc[:400] + k, sid=f"s{k}", size=float(k + 1)) for k in range(3)]
        got = forecaster.predict(pd.concat(parts)).drop(columns=["sid"]).to_numpy()
        assert forecaster.series_codes_ == {"s0": 0, "s1": 1, "s2": 2} and forecaster.static_["mean"] == [2.0]
    else:
        got = forecaster.predict(df.iloc[:650]).to_numpy()
    np.testing.assert_array_equal(got, expected)
