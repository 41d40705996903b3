"""The saved-model bundle: a folder with model.keras, the estimator's JSON, and a manifest; `load` restores any
bundle as the estimator that wrote it."""

from __future__ import annotations

import hashlib
import importlib
import json
import zipfile
from pathlib import Path

from lstm_toolkit import atomic
from lstm_toolkit.errors import BundleError

FORMAT = "lstm_toolkit.bundle"
FORMAT_VERSION = 1
MODEL_FILE = "model.keras"
ESTIMATOR_FILE = "estimator.json"
MANIFEST_FILE = "manifest.json"
# The module of each estimator a bundle may hold (its manifest's "estimator"), imported only to load one.
ESTIMATOR_MODULES = {
    "Forecaster": "lstm_toolkit.forecasting.forecaster",
    "FrameForecaster": "lstm_toolkit.frames",
    "SequenceClassifier": "lstm_toolkit.sequences.classifier",
    "SequenceLabeller": "lstm_toolkit.sequences.labeller",
    "AnomalyDetector": "lstm_toolkit.sequences.anomaly",
}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plain(value):
    """numpy's scalars and arrays as JSON writes Python's (a parameter given as `np.int64(48)`, a state array)."""
    if hasattr(value, "item") and hasattr(value, "dtype"):
        return value.item() if getattr(value, "ndim", 0) == 0 else value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _json(payload):
    return json.dumps(payload, indent=2, sort_keys=True, allow_nan=True, default=_plain)


def library_versions():
    """Versions of the libraries a bundle was written with."""
    import numpy
    import pandas
    import sklearn

    from lstm_toolkit import __version__
    from lstm_toolkit.backend import keras

    versions = {"lstm_toolkit": __version__, "keras": keras.__version__, "numpy": numpy.__version__,
                "pandas": pandas.__version__, "scikit-learn": sklearn.__version__}
    try:
        import tensorflow

        versions["tensorflow"] = tensorflow.__version__
    except ImportError:  # another Keras backend
        pass
    return versions


def check_writable(path):
    """The `Path` of a bundle folder `save` may write: none there yet, an empty folder, or a bundle to replace.

    Anything else at `path` (a file, a folder of other things) raises a `BundleError`: a bundle never overwrites
    it. The CLI checks this before training, so a wrong `--out` costs no training.
    """
    path = Path(path)
    if path.exists() and not (path / MANIFEST_FILE).is_file() and (not path.is_dir() or any(path.iterdir())):
        raise BundleError(
            f"{path} exists and is not an lstm_toolkit bundle; refusing to overwrite it. "
            "Choose another path or remove it yourself."
        )
    return path


def save_bundle(path, model, estimator, params, state, metadata=None):
    """Writes a bundle to the folder `path` atomically and returns its `Path`.

    Everything is written into a temporary folder beside `path` first; only a
    complete bundle replaces an existing one, so a crash or a full disk midway
    leaves the previous bundle as it was. A folder at `path` that is not a
    bundle is never overwritten.

    Args:
        path: the bundle folder.
        model: the `keras.Model`.
        estimator: the estimator's class name ("Forecaster").
        params: constructor arguments (JSON-safe).
        state: fitted state (JSON-safe: plain numbers, strings, lists, dicts).
        metadata: extra JSON-safe information (metrics, notes).
    """
    path = check_writable(path)
    with atomic.staged_folder(path) as staging:
        model.save(staging / MODEL_FILE)
        payload = {"estimator": estimator, "params": params, "state": state, "metadata": metadata or {}}
        (staging / ESTIMATOR_FILE).write_text(_json(payload), encoding="utf-8")
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "estimator": estimator,
            "versions": library_versions(),
            "files": {name: _sha256(staging / name) for name in (MODEL_FILE, ESTIMATOR_FILE)},
        }
        (staging / MANIFEST_FILE).write_text(_json(manifest), encoding="utf-8")
    return path


def read_manifest(path):
    """The manifest of the bundle at `path`, checked for format and version (files are not read).

    Raises:
        BundleError: no folder, no manifest, a corrupt one, another format or version.
    """
    path = Path(path)
    manifest_path = path / MANIFEST_FILE
    if path.is_file():
        raise BundleError(f"{path} is a file; a bundle is the folder that `save` writes (holding {MANIFEST_FILE}). "
                          "Pass that folder.")
    if not path.is_dir():
        raise BundleError(f"No bundle at {path}: the folder does not exist. Check the path.")
    if not manifest_path.is_file():
        raise BundleError(f"{path} is not an lstm_toolkit bundle (no {MANIFEST_FILE}). Check the path.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BundleError(f"The manifest of {path} is corrupt ({error}). Save the model again.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{path} is not an lstm_toolkit bundle (unknown manifest). Check the path.")
    versions = manifest.get("versions")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        writer = versions.get("lstm_toolkit", "unknown") if isinstance(versions, dict) else "unknown"
        raise BundleError(
            f"{path} has bundle format version {version!r}; this lstm_toolkit reads version "
            f"{FORMAT_VERSION}. Load it with the lstm_toolkit that wrote it ({writer}) and save it again."
        )
    malformed = _malformed_fields(manifest)
    if malformed:
        raise BundleError(f"The manifest of {path} is corrupt ({malformed}). Save the model again.")
    return manifest


def _malformed_fields(manifest):
    """What is wrong with the fields `load` reads from a manifest of this format and version, or "" (a hand-edited
    one may hold valid JSON of the wrong shape). Its `versions` only inform, and are not checked."""
    files = manifest.get("files")
    if not isinstance(manifest.get("estimator"), str):
        return f"'estimator' must name the estimator's class; it holds {manifest.get('estimator')!r}"
    if not isinstance(files, dict) or not all(isinstance(value, str) for value in files.values()):
        return f"'files' must map each file to its SHA-256; it holds {files!r}"
    return ""


def _a(kind):
    """"an AnomalyDetector", "a Forecaster": an estimator's name with its article."""
    return f"{'an' if kind[:1] in 'AEIOU' else 'a'} {kind}"


def load_bundle(path, estimator=None):
    """Reads a bundle, checking format, version and file hashes; returns `(model, payload)`.

    The Keras model loads with `safe_mode=True`: no pickle, no arbitrary code.

    Raises:
        BundleError: missing, truncated, tampered with, or of another format.
    """
    path = Path(path)
    manifest = read_manifest(path)
    if estimator is not None and manifest["estimator"] != estimator:
        raise BundleError(
            f"{path} holds {_a(manifest['estimator'])}, not {_a(estimator)}. "
            f"Load it with {manifest['estimator']}.load(path), or lstm_toolkit.load(path) for any kind."
        )
    for name, expected in manifest["files"].items():
        file = path / name
        if not file.is_file():
            raise BundleError(f"The bundle {path} is incomplete: {name} is missing. Save the model again.")
        if _sha256(file) != expected:
            raise BundleError(
                f"{name} in {path} does not match its checksum: the file was truncated or modified "
                "after saving. Restore it from a backup or save the model again."
            )
    if set(manifest["files"]) != {MODEL_FILE, ESTIMATOR_FILE}:
        raise BundleError(f"The manifest of {path} does not list the bundle's files. Save the model again.")
    payload = json.loads((path / ESTIMATOR_FILE).read_text(encoding="utf-8"))
    from lstm_toolkit.backend import keras  # TensorFlow loads once the bundle's files are checked

    try:
        model = keras.models.load_model(path / MODEL_FILE, safe_mode=True)
    except (ValueError, OSError, zipfile.BadZipFile, KeyError, TypeError) as error:
        raise BundleError(f"The Keras model in {path} could not be loaded: {error}") from None
    return model, payload


def load(path):
    """Loads any estimator's bundle, as the class that saved it (read from the bundle's manifest).

    The manifest is read before TensorFlow loads: a wrong path or a corrupt bundle is refused at once.

    Args:
        path: the bundle folder written by an estimator's `save`.

    Returns:
        The fitted estimator: a `Forecaster`, `FrameForecaster`,
        `SequenceClassifier`, `SequenceLabeller` or `AnomalyDetector`.

    Raises:
        BundleError: no bundle at `path`, a corrupt one, or one of an unknown kind.
    """
    kind = read_manifest(path)["estimator"]
    if kind not in ESTIMATOR_MODULES:
        raise BundleError(f"{path} holds an estimator of unknown kind {kind!r}; this lstm_toolkit loads {list(ESTIMATOR_MODULES)}.")
    estimator_class = getattr(importlib.import_module(ESTIMATOR_MODULES[kind]), kind)
    return estimator_class.load(path)
