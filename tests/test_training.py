import time

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from lstm_toolkit.data import WindowedSeries, WindowSpec
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.models import ModelConfig, build_model
from lstm_toolkit.training import (
    TrainingConfig,
    build_training_state,
    choose_jit_compile,
    compile_model,
    default_callbacks,
    fit,
)


def tiny_model():
    return build_model(ModelConfig(units=(4,)), lookback=3, n_features=1)


def tiny_data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3, 1)).astype("float32")
    return x, x[:, -1:, :] * 0.5


def test_compile_defaults_follow_the_practitioner_rules():
    model = compile_model(tiny_model())
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.optimizer.clipnorm == 1.0
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert model.loss == "mse"
    x, y = tiny_data()
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae"}


def test_default_callbacks():
    callbacks = default_callbacks(TrainingConfig(patience=3))
    early = callbacks[0]
    assert isinstance(early, keras.callbacks.EarlyStopping)
    assert early.restore_best_weights and early.patience == 3 and early.monitor == "val_loss"
    assert isinstance(callbacks[1], keras.callbacks.ReduceLROnPlateau)
    assert isinstance(callbacks[2], keras.callbacks.TerminateOnNaN)


def test_fit_checkpoints_the_best_model(tmp_path):
    x, y = tiny_data()
    history = fit(
        tiny_model(),
        (x, y),
        validation=tiny_data(seed=1),
        config=TrainingConfig(epochs=3, verbose=0, seed=0),
        checkpoint_dir=tmp_path / "ckpt",
    )
    assert len(history.history["val_loss"]) == 3
    restored = keras.models.load_model(tmp_path / "ckpt" / "best.keras", safe_mode=True)
    assert restored.count_params() == tiny_model().count_params()


def test_user_callbacks_are_added_or_replace_the_defaults():
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    history = fit(tiny_model(), tiny_data(), config=TrainingConfig(epochs=2, verbose=0), callbacks=[record])
    assert seen == [0, 1]
    assert "learning_rate" in history.history  # logged by the default ReduceLROnPlateau


def test_replace_callbacks_drops_the_defaults():
    stop_now = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", True))
    model = tiny_model()
    history = fit(model, tiny_data(), config=TrainingConfig(epochs=5, verbose=0), callbacks=[stop_now], replace_callbacks=True)
    assert len(history.history["loss"]) == 1
    assert "learning_rate" not in history.history


def test_without_validation_the_callbacks_monitor_training_loss():
    history = fit(tiny_model(), tiny_data(), config=TrainingConfig(epochs=2, verbose=0))
    assert "val_loss" not in history.history and len(history.history["loss"]) == 2


def test_seed_makes_runs_reproducible():
    weights = []
    for _ in range(2):
        keras.utils.set_random_seed(7)  # weights are drawn when the model is built
        model = tiny_model()
        fit(model, tiny_data(), config=TrainingConfig(epochs=2, verbose=0, seed=7))
        weights.append(np.concatenate([w.ravel() for w in model.get_weights()]))
    np.testing.assert_array_equal(weights[0], weights[1])


def test_terminate_on_nan_stops_a_diverging_run():
    x, y = tiny_data()
    y[0, 0, 0] = np.inf
    history = fit(tiny_model(), (x, y), config=TrainingConfig(epochs=5, verbose=0))
    assert len(history.history["loss"]) == 1


def test_bad_training_configs():
    with pytest.raises(ConfigError, match="epochs=0"):
        TrainingConfig(epochs=0)
    with pytest.raises(ConfigError, match="clipnorm=-1"):
        TrainingConfig(clipnorm=-1)
    for bad, message in (({"patience": -1}, "patience=-1"), ({"reduce_lr_patience": 2.5}, "reduce_lr_patience=2.5"),
                         ({"reduce_lr_factor": 1.5}, "reduce_lr_factor=1.5"), ({"min_learning_rate": -1e-5}, "min_learning_rate=-1e-05"),
                         ({"seed": "a"}, "seed='a'"), ({"seed": -1}, "seed=-1"), ({"seed": True}, "seed=True")):
        with pytest.raises(ConfigError, match=message):
            TrainingConfig(**bad)
    assert TrainingConfig(patience=0).patience == 0  # stop at the first epoch that does not improve: Keras' own meaning
    # The learning rate falls after half the patience unless told otherwise (the estimators and the tuner relied on it).
    assert [TrainingConfig(patience=p).reduce_lr_patience for p in (0, 1, 8, 20)] == [1, 1, 4, 10]
    assert TrainingConfig(patience=20, reduce_lr_patience=3).reduce_lr_patience == 3
    with pytest.raises(ConfigError, match="patience='8'"):
        TrainingConfig(patience="8")
    # verbose="loud" reached Keras, which printed bare "Epoch 1/50" lines; True is the progress bar, as in Keras.
    for bad in ("loud", 3, 1.0, "1"):
        with pytest.raises(ConfigError, match=rf"`verbose` must be 0 \(quiet\), 1 \(a progress bar\), 2 \(a line per epoch\) "
                                              rf"or 'auto'\. Received: verbose={bad!r}"):
            TrainingConfig(verbose=bad)
    assert [TrainingConfig(verbose=v).verbose for v in (True, np.int64(2), "auto")] == [1, 2, "auto"]


def test_the_forecaster_names_patience_and_distribution_of_the_wrong_kind_before_training():
    from lstm_toolkit import Forecaster

    data = pd.DataFrame({"y": np.sin(np.arange(60) / 3)})
    # patience="5" ended in TypeError (`//` on a str); distribution="mirrored" in AttributeError ('scope').
    with pytest.raises(ConfigError, match=r"`patience` must be an integer >= 0 \(epochs\)\. Received: patience='5'"):
        Forecaster(lookback=6, horizon=2, patience="5").fit(data)
    with pytest.raises(ConfigError, match=r"`distribution` must be a tf.distribute.Strategy.*Received: distribution='mirrored'"):
        Forecaster(lookback=6, horizon=2, distribution="mirrored").fit(data)
    assert TrainingConfig.from_dict(TrainingConfig(seed=3).to_dict()) == TrainingConfig(seed=3)


def test_end_to_end_on_a_shipped_series_lowers_validation_loss(seattle):
    spec = WindowSpec(lookback=48, targets="temp", horizon=6)
    series = WindowedSeries.from_frame(seattle.iloc[:3000], spec, validation=0.2, test=0.1)
    model = build_model(ModelConfig(units=(16,)), spec.lookback, spec.n_features, spec.horizon, spec.n_targets)
    history = fit(
        model,
        series.dataset("train", batch_size=64, seed=0),
        series.dataset("validation", batch_size=256),
        config=TrainingConfig(epochs=4, verbose=0, seed=0),
    )
    val_loss = history.history["val_loss"]
    assert min(val_loss[1:]) < val_loss[0]


def test_auto_xla_only_for_trainings_large_enough_to_repay_compiling():
    from lstm_toolkit.training import XLA_MIN_WORK, resolve_jit_compile

    assert resolve_jit_compile("auto", work=None) is False
    assert resolve_jit_compile("auto", work=XLA_MIN_WORK - 1) is False
    assert resolve_jit_compile("auto", work=XLA_MIN_WORK) is True  # this test machine has no GPU
    assert resolve_jit_compile(True, work=1) is True
    model = compile_model(build_model(ModelConfig(units=(4,)), lookback=3, n_features=1),
                          TrainingConfig(epochs=10), n_samples=XLA_MIN_WORK)
    assert model.jit_compile is True
    with pytest.raises(ConfigError, match="jit_compile"):
        TrainingConfig(jit_compile="yes")


def test_auto_xla_is_probed_only_where_the_epochs_certain_to_run_are_work_enough(monkeypatch):
    # 100 windows x 200 epochs is a large plan, but early stopping may end it after patience + 1 = 9 epochs: the probe
    # (compiling the step both ways, seconds) would cost more than such a training. A replayed schedule runs them all.
    from lstm_toolkit.training import XLA_MIN_WORK, xla

    probed = []
    monkeypatch.setattr(xla, "choose_jit_compile", lambda model, train: probed.append(model))
    x, y = tiny_data(n=100)
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(50)
    config = TrainingConfig(epochs=200, patience=8, verbose=0)
    assert 100 * 200 >= XLA_MIN_WORK > 100 * 9
    for replayed in (False, True):
        model = compile_model(tiny_model(), config, n_samples=100)
        assert model.jit_compile is True  # the plan's choice
        model.fit = lambda *args, **kwargs: "trained"  # the choice is made before Keras trains: stop there
        assert fit(model, train, config=config, callbacks=[], replace_callbacks=replayed) == "trained"
        assert probed == ([model] if replayed else []) and model.jit_compile is replayed
        probed.clear()


def test_auto_steps_per_execution_for_large_trainings():
    from lstm_toolkit.training import STEPS_PER_EXECUTION, XLA_MIN_WORK

    def compiled(config, n_samples):
        return compile_model(build_model(ModelConfig(units=(4,)), lookback=3, n_features=1), config, n_samples=n_samples)

    assert TrainingConfig().steps_per_execution == "auto"
    assert compiled(TrainingConfig(epochs=10), n_samples=XLA_MIN_WORK // 10).steps_per_execution == STEPS_PER_EXECUTION
    assert compiled(TrainingConfig(epochs=10), n_samples=XLA_MIN_WORK // 10 - 1).steps_per_execution == 1
    assert compiled(TrainingConfig(epochs=10), n_samples=None).steps_per_execution == 1
    assert compiled(TrainingConfig(steps_per_execution=3), n_samples=None).steps_per_execution == 3
    for bad in (0, "fast", True):
        with pytest.raises(ConfigError, match="or 'auto'"):
            TrainingConfig(steps_per_execution=bad)
    assert TrainingConfig.from_dict(TrainingConfig().to_dict()) == TrainingConfig()


def test_steps_per_execution_changes_no_number():
    x, y = tiny_data(n=40)
    weights = []
    for steps in (1, 4):
        keras.utils.set_random_seed(0)
        model = tiny_model()
        fit(model, tf.data.Dataset.from_tensor_slices((x, y)).batch(8),
            config=TrainingConfig(epochs=2, verbose=0, seed=0, steps_per_execution=steps, jit_compile=False))
        weights.append(model.get_weights())
    for one, four in zip(*weights):
        np.testing.assert_array_equal(one, four)


def test_choose_jit_compile_keeps_the_faster_way_and_trains_nothing():
    model = compile_model(build_model(ModelConfig(units=(4,)), lookback=6, n_features=1), TrainingConfig(seed=0))
    x = np.random.default_rng(0).normal(size=(64, 6, 1)).astype("float32")
    train = tf.data.Dataset.from_tensor_slices((x, x[:, -1:])).batch(4)
    model.train_on_batch(x[:4], x[:4, -1:])  # some optimizer state to keep
    weights = model.get_weights()
    state = [variable.numpy() for variable in model.optimizer.variables]
    chosen = choose_jit_compile(model, train, steps=3)
    assert chosen in (True, False) and model.jit_compile is chosen
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)
    for before, variable in zip(state, model.optimizer.variables):
        np.testing.assert_array_equal(before, variable.numpy())
    assert model.fit(train, epochs=1, verbose=0).history["loss"]  # still trains, the chosen way


@pytest.mark.parametrize("slow", [True, False], ids=["xla-slow", "xla-fast"])
def test_choose_jit_compile_keeps_the_way_whose_steps_are_faster(slow, monkeypatch):
    # One way's steps are made 30 ms slower: the probe keeps the other, and it times the two ways in turn.
    model = compile_model(build_model(ModelConfig(units=(4,)), lookback=6, n_features=1), TrainingConfig(seed=0))
    x = np.random.default_rng(0).normal(size=(64, 6, 1)).astype("float32")
    train = tf.data.Dataset.from_tensor_slices((x, x[:, -1:])).batch(4)
    make, order = model.make_train_function, []

    def made(force=False):
        before = model.train_function
        make(force=force)
        if model.train_function is before:  # train_on_batch asks for the function it already has
            return
        function, jit = model.train_function, model.jit_compile

        def step(data):
            order.append(jit)
            if jit is slow:
                time.sleep(0.03)
            return function(data)

        model.train_function = step

    monkeypatch.setattr(model, "make_train_function", made)
    assert choose_jit_compile(model, train, steps=3) is (not slow)
    assert order == [True, False] + [True, False] * 3  # compiled once each, then timed in turn


PROBE_IN_A_SCRIPT = """
import numpy as np, tensorflow as tf
from lstm_toolkit.models import ModelConfig, build_model
from lstm_toolkit.training import TrainingConfig, choose_jit_compile, compile_model
model = compile_model(build_model(ModelConfig(units=(4,)), lookback=6, n_features=1), TrainingConfig(seed=0))
x = np.random.default_rng(0).normal(size=(16, 6, 1)).astype("float32")
print(choose_jit_compile(model, tf.data.Dataset.from_tensor_slices((x, x[:, -1:])).batch(4), steps=2))
"""


@pytest.mark.parametrize("level", [None, "0"], ids=["default", "TF_CPP_MIN_LOG_LEVEL=0"])
def test_the_xla_probe_keeps_tensorflows_native_log_off_stderr(level):
    # A user's default fit may probe XLA; its first compile logs "XLA service ... initialized" and
    # "Compiled cluster using XLA!" lines to stderr unless TF_CPP_MIN_LOG_LEVEL is set.
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    if level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = level
    result = subprocess.run([sys.executable, "-c", PROBE_IN_A_SCRIPT], capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0 and result.stdout.strip() in ("True", "False"), result.stderr[-2000:]
    assert ("Compiled cluster using XLA" in result.stderr) == (level == "0"), result.stderr[-2000:]


def test_choose_jit_compile_reads_a_short_dataset_in_a_loop():
    # 2 batches, 10 timed steps: a small training of many epochs ("auto" counts windows x epochs)
    model = compile_model(build_model(ModelConfig(units=(4,)), lookback=6, n_features=1), TrainingConfig(seed=0))
    x = np.random.default_rng(0).normal(size=(8, 6, 1)).astype("float32")
    train = tf.data.Dataset.from_tensor_slices((x, x[:, -1:])).batch(4)
    assert choose_jit_compile(model, train, steps=10) in (True, False)
    assert len(model.fit(train, epochs=1, verbose=0).history["loss"]) == 1


@pytest.mark.parametrize("form", ["arrays", "dataset", "two outputs"])
def test_fit_traces_the_training_step_once(form, traced_models):
    # Keras makes the optimizer's slots and the metric trackers while it traces the first step, and tf.function
    # then traces it again; `fit` makes them first (`build_training_state`), so the step is traced once.
    x, y = tiny_data()
    if form == "two outputs":
        inputs = keras.Input((3, 1))
        hidden = keras.layers.LSTM(4)(inputs)
        model = keras.Model(inputs, [keras.layers.Dense(1)(hidden), keras.layers.Dense(2)(hidden)])
        train = tf.data.Dataset.from_tensor_slices((x, (y[:, 0], np.hstack([y[:, 0]] * 2)))).batch(8)
    else:
        model, train = tiny_model(), (x, y) if form == "arrays" else tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    compile_model(model, metrics=[["mae"], ["mae"]] if form == "two outputs" else ("mae",))  # a metric per output
    fit(model, train, config=TrainingConfig(epochs=2, batch_size=8, verbose=0, seed=0))
    assert traced_models == [model]


def test_building_the_training_state_first_changes_no_number():
    # The zeros batch that builds the trackers leaves no trace in the logs: the same losses and MAE as Keras' own fit.
    x, y = tiny_data()
    logs = []
    for ours in (True, False):
        keras.utils.set_random_seed(0)
        model = compile_model(tiny_model())
        if ours:
            history = fit(model, (x, y), config=TrainingConfig(epochs=3, batch_size=8, verbose=0, seed=0))
        else:
            keras.utils.set_random_seed(0)
            history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
        logs.append(history.history)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(logs[0][key], logs[1][key], rtol=1e-6)


def test_fit_takes_samples_of_unknown_length():
    # Keras' own window datasets leave the window length unknown (None): the trackers are then Keras' to build.
    series = np.sin(np.arange(60, dtype="float32") / 4)[:, None]
    windows = keras.utils.timeseries_dataset_from_array(series, None, sequence_length=3, batch_size=8)
    train = windows.map(lambda w: (w, w[:, -1:, :]))
    assert train.element_spec[0].shape[1] is None
    history = fit(tiny_model(), train, config=TrainingConfig(epochs=2, verbose=0, seed=0))
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_build_training_state_leaves_inputs_without_targets_to_keras():
    model = compile_model(tiny_model())
    x, _ = tiny_data()
    build_training_state(model, tf.data.Dataset.from_tensor_slices(x).batch(8))  # no targets: nothing to build them on
    assert model.optimizer.built


FIT_IN_A_LOOP = """
import sys
import numpy as np, tensorflow as tf
from lstm_toolkit.models import ModelConfig, build_model
from lstm_toolkit.training import TrainingConfig, fit
if sys.argv[1] == "keras-keys":  # as Keras keys them: the check below must see the warning then
    import lstm_toolkit.training.core as core
    core.count_traces_apart = lambda model: None
x = np.random.default_rng(0).normal(size=(20, 3, 1)).astype("float32")
data = tf.data.Dataset.from_tensor_slices((x, x[:, -1:] * 0.5)).batch(8)
for seed in range(6):  # a model per series, origin or trial (six: one more than TensorFlow's warning needs)
    model = build_model(ModelConfig(units=(4,)), lookback=3, n_features=1)
    fit(model, data, validation=data, config=TrainingConfig(epochs=1, verbose=0, seed=seed))
"""


@pytest.mark.parametrize("keys", ["ours", "keras-keys"])
def test_models_trained_one_after_another_are_not_called_retracing(keys):
    # Keras compiles each model's step from the same code, and TensorFlow counts traces per code object (it warns at
    # five traces within its last ten calls): six small fits in a row logged "triggered tf.function retracing". `fit`
    # keys each model's functions to themselves.
    import subprocess
    import sys
    import textwrap

    result = subprocess.run([sys.executable, "-c", textwrap.dedent(FIT_IN_A_LOOP), keys], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert ("triggered tf.function retracing" in result.stderr) == (keys == "keras-keys"), result.stderr[-2000:]
