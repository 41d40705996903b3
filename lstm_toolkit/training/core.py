"""Training defaults: Adam with gradient clipping, standard callbacks, and a `fit` helper."""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np

from lstm_toolkit.backend import count_traces_apart, keras, onednn_advice
from lstm_toolkit.errors import ConfigError, SlowKernelsWarning, check_bool, check_integer, check_real
from lstm_toolkit.training import xla


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """How a model is compiled and trained.

    Args:
        epochs: upper bound on epochs (early stopping usually ends sooner).
        batch_size: windows per batch.
        learning_rate: Adam's initial learning rate.
        clipnorm: gradient norm clipping (the practitioner's first rule for
            LSTMs); None turns it off.
        loss: Keras loss name.
        patience: epochs without improvement before early stopping.
        reduce_lr_patience: epochs without improvement before the learning
            rate is multiplied by `reduce_lr_factor`; None (the default): half
            of `patience`, at least 1, so the rate falls before training stops.
        reduce_lr_factor: that factor.
        min_learning_rate: floor of the learning rate.
        seed: seed for weights, dropout and shuffling; None for a random run.
        verbose: Keras' verbosity: "auto" or 1 shows the progress bar, 0 is quiet.
        steps_per_execution: batches run per call into the compiled graph
            (fewer round trips from Python per epoch; Keras calls the
            callbacks' batch hooks once per call). "auto" (the default):
            `xla.STEPS_PER_EXECUTION` for trainings of at least `xla.XLA_MIN_WORK`
            windows x epochs, where the tutorial model trains 2-10% more
            windows per second than with 1 on 2 CPU cores, the compilation
            pinned (`benchmarks/train_throughput.py`), else 1: on a small training,
            tracing the multi-step loop costs more than it saves. The default
            callbacks act per epoch and are unaffected.
        jit_compile: XLA compilation of the training step. "auto", where no
            GPU is visible and the training is large enough (see
            `compile_model`; with early stopping, in the epochs certain to
            run: `xla.xla_pays`), times a few training steps with and without XLA
            at the start of `fit` and keeps the faster (`xla.choose_jit_compile`):
            XLA fuses the recurrent loop's many small ops, 1.2-1.4x the samples
            per second on one CPU and 0.66-1.19x on another
            (`benchmarks/train_throughput.py`), so only the machine can tell.
            Small trainings skip XLA (compiling costs more than it saves). On
            GPU Keras' own choice stands: the fused cuDNN kernel, which is
            faster and not XLA-compatible. True / False force it.

    Example:
    >>> config = TrainingConfig(epochs=5, seed=0)
    >>> TrainingConfig.from_dict(config.to_dict()) == config
    True
    """

    epochs: int = 50
    batch_size: int = 64
    learning_rate: float = 1e-3
    clipnorm: float | None = 1.0
    loss: str = "mse"
    patience: int = 8
    reduce_lr_patience: int | None = None
    reduce_lr_factor: float = 0.5
    min_learning_rate: float = 1e-5
    seed: int | None = None
    verbose: int | str = "auto"
    steps_per_execution: int | str = "auto"
    jit_compile: bool | str = "auto"

    def __post_init__(self):
        for name in ("epochs", "batch_size", "steps_per_execution"):
            auto = ("auto",) if name == "steps_per_execution" else ()
            also = " or 'auto'" if auto else ""
            object.__setattr__(self, name, check_integer(getattr(self, name), name, allowed=auto, also=also))
        object.__setattr__(self, "patience", check_integer(self.patience, "patience", 0, also=" (epochs)"))
        reduce_lr_patience = max(1, self.patience // 2) if self.reduce_lr_patience is None else self.reduce_lr_patience
        object.__setattr__(self, "reduce_lr_patience", check_integer(reduce_lr_patience, "reduce_lr_patience", 0,
                                                                     also=" (epochs), or None for half the patience"))
        for name in ("learning_rate", "clipnorm", "reduce_lr_factor", "min_learning_rate"):
            allowed = (None,) if name == "clipnorm" else ()
            object.__setattr__(self, name, check_real(getattr(self, name), name, allowed))
        if not 0 < self.reduce_lr_factor < 1:
            raise ConfigError(f"`reduce_lr_factor` must lie in (0, 1). Received: reduce_lr_factor={self.reduce_lr_factor}")
        if not self.min_learning_rate >= 0:
            raise ConfigError(f"`min_learning_rate` must be >= 0. Received: min_learning_rate={self.min_learning_rate}")
        if not self.learning_rate > 0:
            raise ConfigError(f"`learning_rate` must be positive. Received: learning_rate={self.learning_rate}")
        object.__setattr__(self, "jit_compile", check_bool(self.jit_compile, "jit_compile", allowed=("auto",)))
        if self.clipnorm is not None and not self.clipnorm > 0:
            raise ConfigError(f"`clipnorm` must be positive or None. Received: clipnorm={self.clipnorm}")
        object.__setattr__(self, "seed", check_integer(self.seed, "seed", 0, allowed=(None,), also=", or None for a random run"))
        verbose = int(self.verbose) if isinstance(self.verbose, (bool, np.bool_)) else self.verbose  # True: the bar
        if verbose not in ("auto", 0, 1, 2) or isinstance(verbose, float):
            raise ConfigError("`verbose` must be 0 (quiet), 1 (a progress bar), 2 (a line per epoch) or 'auto'. "
                              f"Received: verbose={self.verbose!r}")
        object.__setattr__(self, "verbose", verbose if verbose == "auto" else int(verbose))

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, config):
        return cls(**config)


def compile_model(model, config=None, n_samples=None, metrics=("mae",), loss=None):
    """Compiles `model` with the defaults: Adam + `clipnorm`, `config.loss` (MSE), MAE metric.

    `n_samples` (training windows per epoch), when known, lets
    `jit_compile="auto"` use XLA for large trainings (see `TrainingConfig`);
    without it "auto" leaves XLA off. `metrics` replaces the MAE metric
    (classifiers report accuracy); `loss` replaces `config.loss` with a Keras
    loss object (the probabilistic losses).

    Example:
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = compile_model(build_model(ModelConfig(units=(8,)), lookback=4, n_features=1))
    >>> model.optimizer.clipnorm
    1.0
    """
    config = config or TrainingConfig()
    work = xla.planned_work(config, n_samples)
    advice = onednn_advice()
    if advice is not None and work is not None and work >= xla.XLA_MIN_WORK:  # a training long enough to matter
        warnings.warn(advice, SlowKernelsWarning, stacklevel=2)
    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate, clipnorm=config.clipnorm)
    jit_compile, steps_per_execution = xla.planned_compile(config, n_samples)
    model.compile(
        optimizer=optimizer,
        loss=config.loss if loss is None else loss,
        metrics=list(metrics),
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    return model


def default_callbacks(config=None, checkpoint_dir=None, monitor="val_loss", baseline=None):
    """The callbacks every training run gets unless told otherwise.

    EarlyStopping (restoring the best weights), ReduceLROnPlateau,
    TerminateOnNaN, and, when `checkpoint_dir` is given, a ModelCheckpoint of
    the best model to `checkpoint_dir/best.keras`. With a `baseline`, early
    stopping's patience restarts only at an epoch that takes `monitor` below it
    (Keras' `EarlyStopping(baseline=...)`: an epoch that improves on the best
    so far still does not stop the run).

    Example:
    >>> [type(c).__name__ for c in default_callbacks()]
    ['EarlyStopping', 'ReduceLROnPlateau', 'TerminateOnNaN']
    """
    config = config or TrainingConfig()
    callbacks = [
        keras.callbacks.EarlyStopping(
            monitor=monitor, patience=config.patience, restore_best_weights=True, baseline=baseline
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor=monitor,
            factor=config.reduce_lr_factor,
            patience=config.reduce_lr_patience,
            min_lr=config.min_learning_rate,
        ),
        keras.callbacks.TerminateOnNaN(),
    ]
    if checkpoint_dir is not None:
        os.makedirs(checkpoint_dir, exist_ok=True)
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                os.path.join(checkpoint_dir, "best.keras"), monitor=monitor, save_best_only=True
            )
        )
    return callbacks


def replay_callbacks(learning_rates, checkpoint_dir=None):
    """The callbacks of a run that replays a chosen schedule: one learning rate per epoch, no early stopping.

    For a refit on all the data (see `forecasting.refit`): the epochs and the
    learning rates were chosen on validation by an earlier run. TerminateOnNaN
    stays, and with `checkpoint_dir` the last model is checkpointed to
    `checkpoint_dir/best.keras` (there is no validation to pick a best one).

    Example:
    >>> [type(c).__name__ for c in replay_callbacks([1e-3, 5e-4])]
    ['LearningRateScheduler', 'TerminateOnNaN']
    """
    rates = [float(rate) for rate in learning_rates]
    callbacks = [
        keras.callbacks.LearningRateScheduler(lambda epoch, rate: rates[min(epoch, len(rates) - 1)]),
        keras.callbacks.TerminateOnNaN(),
    ]
    if checkpoint_dir is not None:
        os.makedirs(checkpoint_dir, exist_ok=True)
        callbacks.append(keras.callbacks.ModelCheckpoint(os.path.join(checkpoint_dir, "best.keras"), monitor="loss"))
    return callbacks


def seed_weights(seed):
    """Seeds Keras' random state (Python's, NumPy's and the backend's) from `seed`, unless it is None.

    Call it before a network's weights are drawn, not only before training:
    then the seed alone decides the model, whatever the process drew before.

    Example:
    >>> seed_weights(0); a = keras.random.normal((2,)); seed_weights(0)
    >>> bool((a == keras.random.normal((2,))).numpy().all())
    True
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)


def fit(
    model,
    train,
    validation=None,
    config=None,
    callbacks=None,
    replace_callbacks=False,
    checkpoint_dir=None,
    backup_dir=None,
    baseline=None,
):
    """Trains `model` on a dataset of `(x, y)` batches with the default callbacks.

    Args:
        model: a Keras model; compiled with `compile_model` if not compiled yet.
        train: a `tf.data.Dataset` (or anything `model.fit` takes) of training batches.
        validation: validation batches for early stopping; without them the
            callbacks monitor the training loss.
        config: a `TrainingConfig`.
        callbacks: extra callbacks, added to the defaults.
        replace_callbacks: use `callbacks` instead of the defaults.
        checkpoint_dir: folder for the best-model checkpoint.
        backup_dir: folder of a `keras.callbacks.BackupAndRestore`: a run
            killed midway and started again resumes from its last epoch.
        baseline: a value of the monitored loss that early stopping's patience
            restarts only below (`default_callbacks`); None for none.

    Returns:
        The `keras.callbacks.History` of the run (of the resumed epochs only, after a restart).

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = build_model(ModelConfig(units=(4,)), lookback=3, n_features=1)
    >>> x, y = np.zeros((8, 3, 1), "float32"), np.zeros((8, 1, 1), "float32")
    >>> history = fit(model, (x, y), config=TrainingConfig(epochs=2, verbose=0, seed=0))
    >>> len(history.history["loss"])
    2
    """
    config = config or TrainingConfig()
    seed_weights(config.seed)
    n_samples = _n_samples(train, config.batch_size)
    if not model.compiled:
        compile_model(model, config, n_samples=n_samples)
    build_training_state(model, train)
    if config.jit_compile == "auto" and model.jit_compile is True and not isinstance(train, tuple):
        # "auto" chose XLA for a large planned training: keep it only if it is faster here, and only probe where
        # the probe can pay (`xla_pays`)
        if xla.xla_pays(n_samples, config, early_stopping=not replace_callbacks):
            xla.choose_jit_compile(model, train)
        else:
            model.jit_compile = False
            model.make_train_function(force=True)
    monitor = "val_loss" if validation is not None else "loss"
    chosen = list(callbacks or [])
    if not replace_callbacks:
        chosen = default_callbacks(config, checkpoint_dir=checkpoint_dir, monitor=monitor, baseline=baseline) + chosen
    if backup_dir is not None:
        chosen.insert(0, keras.callbacks.BackupAndRestore(os.fspath(backup_dir)))
    if isinstance(train, tuple):  # numpy (x, y): Keras batches and shuffles them
        inputs, batching = train, {"batch_size": config.batch_size}
    else:  # a dataset carries its own batches and order (the data module shuffles training windows)
        inputs, batching = (train,), {"shuffle": False}
    count_traces_apart(model)  # a loop of fits is no retracing
    return model.fit(
        *inputs,
        validation_data=validation,
        epochs=config.epochs,
        callbacks=chosen,
        verbose=config.verbose,
        **batching,
    )


def build_training_state(model, train):
    """Makes the optimizer's slots and the loss and metric trackers of a compiled `model` before `fit` traces its step.

    Without a distribution strategy Keras makes them while it traces the first
    training step, and a `tf.function` that creates variables on its first
    trace is traced a second time: building them first halves the tracing,
    which is most of the time of a small fit. `train` (a `tf.data.Dataset` or
    `(x, y)` arrays) gives the inputs' and targets' shapes (the trackers are
    left to Keras where a sample's shape is not known); the trackers are reset
    after. Call it before `model.fit` (`fit` does).

    Example:
    >>> import numpy as np
    >>> from lstm_toolkit.models import ModelConfig, build_model
    >>> model = compile_model(build_model(ModelConfig(units=(4,)), lookback=3, n_features=1))
    >>> build_training_state(model, (np.zeros((8, 3, 1), "float32"), np.zeros((8, 1, 1), "float32")))
    >>> model.optimizer.built
    True
    """
    spec = getattr(train, "element_spec", None)
    if spec is None and isinstance(train, (tuple, list)):  # (x, y) arrays
        spec = keras.tree.map_structure(lambda array: keras.KerasTensor(array.shape, array.dtype.name), tuple(train[:2]))
    with model.distribute_strategy.scope():
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        if not isinstance(spec, tuple) or len(spec) < 2 or spec[1] is None \
                or any(None in leaf.shape[1:] for leaf in keras.tree.flatten(spec[:2])):
            return  # a generator, no targets, or samples of unknown length: Keras builds the trackers as it traces

        def batch_of(tensor_spec):  # its own batch size where it has one (a stateful model's), else 1
            return keras.KerasTensor((tensor_spec.shape[0] or 1, *tensor_spec.shape[1:]),
                                     keras.backend.standardize_dtype(tensor_spec.dtype))

        def zeros(tensor):
            return keras.ops.zeros(tensor.shape, dtype=tensor.dtype)

        x, y = (keras.tree.map_structure(batch_of, part) for part in spec[:2])
        y_pred = keras.tree.map_structure(zeros, model.compute_output_spec(x))
        x, y = keras.tree.map_structure(zeros, x), keras.tree.map_structure(zeros, y)
        model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
        model.compute_metrics(x, y, y_pred, sample_weight=None)
        model.reset_metrics()


def _n_samples(train, batch_size):
    """Training samples per epoch, when known: numpy rows, or batches x batch size of a dataset."""
    if isinstance(train, tuple):
        return len(train[0])
    cardinality = int(getattr(train, "cardinality", lambda: -1)())
    return cardinality * batch_size if cardinality > 0 else None
