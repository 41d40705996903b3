"""Export a fitted Forecaster for devices (LiteRT) and for serving (TensorFlow SavedModel)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lstm_toolkit import atomic, bundle
from lstm_toolkit.backend import tf
from lstm_toolkit.errors import BundleError, ConfigError
from lstm_toolkit.models import state_names, state_sizes
from lstm_toolkit.serving import streaming
from lstm_toolkit.serving.streaming import SIDECAR_SUFFIX, sidecar_path
from lstm_toolkit.training.tbptt import step_function

FORMATS = ("litert", "saved_model")
SIDECAR_FORMAT = "lstm_toolkit.litert"
SIDECAR_VERSION = 1


def export(forecaster, path, format="litert"):
    """Writes `forecaster`'s model to `path` in `format` ("litert" or "saved_model"); see `Forecaster.export`."""
    if format not in FORMATS:
        raise ConfigError(f"`format` must be one of {FORMATS}. Received: format={format!r}")
    if forecaster.strategy != "direct":
        raise ConfigError(
            "Only direct models export: a recursive model feeds its forecasts back through Python. "
            "Fit with strategy='direct' (the default) to export."
        )
    if forecaster.context_shapes():
        raise ConfigError(
            "This model also reads which series it forecasts (series_embedding / static_features), inputs the "
            "exported signatures do not take yet. Export a global model fit without them."
        )
    if forecaster.probabilistic:
        raise ConfigError(
            f"A loss={forecaster.loss!r} model outputs distribution parameters in scaled units, which the "
            "exported signatures (point forecasts in original units) do not map yet. Export a loss='mse' (or 'mae') model."
        )
    if forecaster.future_channels():
        raise ConfigError(
            "This model also reads inputs known ahead over the forecast steps (future covariates, or the "
            "calendar of a seq2seq decoder), a second input the exported signatures do not take yet. Export a "
            "model without them."
        )
    if format == "litert":
        return export_litert(forecaster, path)
    return export_saved_model(forecaster, path)


# --- LiteRT ---------------------------------------------------------------------


def export_litert(forecaster, path):
    """A `.tflite` file (batch 1, built-in ops only) and its JSON sidecar; returns the file's path.

    The model works in scaled units: the sidecar holds the scaling that
    `streaming.load_litert` (or your device code) applies around it. A
    stateful model exports one step, inputs `x` (1, n_features) and its states,
    outputs `forecast` (1, horizon, n_targets) and the new states; a window
    model exports `window` (1, lookback, n_features) -> `forecast`.
    """
    path = Path(path)
    if path.suffix != ".tflite":
        raise ConfigError(f"A LiteRT export is a file ending in .tflite. Received: {str(path)!r}")
    side = Path(sidecar_path(path))
    if path.exists() and not _is_our_sidecar(side):
        raise BundleError(f"{path} exists and was not written by lstm_toolkit's export; refusing to overwrite it.")
    spec = forecaster.spec_
    config = forecaster.model_config_
    model = forecaster.model_
    sidecar = {
        "format": SIDECAR_FORMAT,
        "format_version": SIDECAR_VERSION,
        "signature": "serving_default",
        "spec": forecaster.stream_spec(),
        "input_channels": list(spec.input_channels),
        "scaling": forecaster.scaling(),
        "freq": forecaster.freq_,
        "versions": bundle.library_versions(),
    }
    if forecaster.stateful:
        names, sizes = state_names(config), state_sizes(config)
        step = step_function(model, config)

        def function(x, *states):
            forecast, *new_states = step(x, *states)
            return {"forecast": forecast, **dict(zip(names, new_states))}

        signature = [tf.TensorSpec((1, spec.n_features), tf.float32, name="x")] + [
            tf.TensorSpec((1, size), tf.float32, name=name) for name, size in zip(names, sizes)
        ]
        sidecar.update(kind="stateful", state_names=names, state_sizes=sizes)
    else:

        def function(window):
            return {"forecast": model(window, training=False)}

        signature = [tf.TensorSpec((1, spec.lookback, spec.n_features), tf.float32, name="window")]
        sidecar.update(kind="window")
    blob = _to_tflite(function, signature)
    atomic.write_bytes(path, blob)
    atomic.write_text(side, json.dumps(sidecar, indent=2))
    return path


def _is_our_sidecar(side):
    try:
        return json.loads(side.read_text(encoding="utf-8")).get("format") == SIDECAR_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _to_tflite(function, signature):
    """Converts a Python function of Keras layers to a `.tflite` flatbuffer with named inputs and outputs.

    The variables are frozen to constants first (Keras 3 variables otherwise
    stay resource variables the interpreter cannot read), and only the
    built-in op set is allowed, so the file runs on any LiteRT interpreter.
    """
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    concrete = tf.function(function, input_signature=signature).get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)
    keys = sorted(concrete.structured_outputs)

    def named(*args):
        return dict(zip(keys, frozen(*args)))

    named_concrete = tf.function(named, input_signature=signature).get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([named_concrete], tf.Module())
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()


# --- SavedModel ------------------------------------------------------------------


class _Serving(tf.Module):
    """Raw-units serving functions around a Forecaster's model (tracked for saving)."""

    def __init__(self, forecaster):
        super().__init__()
        spec = forecaster.spec_
        scaling = forecaster.scaling()
        n_data = len(spec.input_columns)
        n_calendar = spec.n_features - n_data
        self.model = forecaster.model_
        self.in_mul = tf.constant(np.concatenate([scaling["input_multiplier"], np.ones(n_calendar)]), tf.float32)
        self.in_add = tf.constant(np.concatenate([scaling["input_offset"], np.zeros(n_calendar)]), tf.float32)
        self.out_mul = tf.constant(scaling["target_multiplier"], tf.float32)
        self.out_add = tf.constant(scaling["target_offset"], tf.float32)
        self.floor = tf.constant(streaming.floor_of(scaling), tf.float32)

    def scale(self, values):
        return values * self.in_mul + self.in_add

    def unscale(self, forecast):
        return tf.maximum((forecast - self.out_add) / self.out_mul, self.floor)


def export_saved_model(forecaster, path):
    """A SavedModel folder whose `serving_default` maps raw windows to forecasts in original units.

    Signature `serving_default`: input `window` (batch, lookback, n_features)
    of raw values, channels in `spec_.input_channels` order (data columns,
    then calendar sin/cos channels); output `forecast` (batch, horizon,
    n_targets). A stateful model's `serving_default` takes any number of rows
    (its state starts at zero on the first) and also has a `step` signature
    with the states as explicit inputs and outputs.
    """
    path = Path(path)
    if path.exists() and not (path / "saved_model.pb").is_file() and (not path.is_dir() or any(path.iterdir())):
        raise BundleError(f"{path} exists and is not a SavedModel; refusing to overwrite it. Choose another path.")
    spec = forecaster.spec_
    module = _Serving(forecaster)
    model = module.model
    if forecaster.stateful:
        config = forecaster.model_config_
        names, sizes = state_names(config), state_sizes(config)
        step = step_function(model, config)

        def serve(window):
            zeros = [tf.zeros((tf.shape(window)[0], size)) for size in sizes]
            forecasts, *_ = model([module.scale(window), *zeros], training=False)
            return {"forecast": module.unscale(forecasts[:, -1])}

        def serve_step(x, *states):
            forecast, *new_states = step(module.scale(x), *states)
            return {"forecast": module.unscale(forecast), **dict(zip(names, new_states))}

        window_shape = (None, None, spec.n_features)
        step_signature = [tf.TensorSpec((None, spec.n_features), tf.float32, name="x")] + [
            tf.TensorSpec((None, size), tf.float32, name=name) for name, size in zip(names, sizes)
        ]
        module.step = tf.function(serve_step, input_signature=step_signature)
        signatures = {"step": module.step.get_concrete_function()}
    else:

        def serve(window):
            return {"forecast": module.unscale(model(module.scale(window), training=False))}

        window_shape = (None, spec.lookback, spec.n_features)
        signatures = {}
    module.serve = tf.function(serve, input_signature=[tf.TensorSpec(window_shape, tf.float32, name="window")])
    signatures["serving_default"] = module.serve.get_concrete_function()
    with atomic.staged_folder(path) as staging:
        tf.saved_model.save(module, str(staging), signatures=signatures)
    return path


__all__ = ["FORMATS", "SIDECAR_SUFFIX", "export", "export_litert", "export_saved_model"]
