"""When XLA and several steps per execution pay for a training on a CPU, and the probe that keeps XLA only where faster.

`compile_model` (`core`) plans both from the training's size, windows x
epochs (`planned_compile`): small trainings skip XLA, whose compiling costs
more than it saves. A planned XLA training is then timed both ways at the start
of `fit` (`choose_jit_compile`), where the epochs certain to run are work
enough to pay for that probe (`xla_pays`). The evidence: `benchmarks/xla_probe.py`,
`benchmarks/xla_probe_choice.py` and `benchmarks/README.md` ("Where training time goes on a CPU").
"""

from __future__ import annotations

import statistics
import time

from lstm_toolkit.backend import native_log_filtered

# "auto" skips XLA below this many training windows x epochs: compiling (a few
# seconds on 2 cores) would take longer than it saves. Steps per execution likewise.
XLA_MIN_WORK = 20_000
STEPS_PER_EXECUTION = 16


def planned_compile(config, n_samples=None):
    """`(jit_compile, steps_per_execution)`: what `compile_model` gives Keras for `config` and `n_samples` training
    windows per epoch (unknown: None), before any XLA probe of the training.

    >>> from lstm_toolkit.training import TrainingConfig
    >>> [planned_compile(TrainingConfig(), n_samples=n)[1] for n in (10, 10**5)]  # steps per execution
    [1, 16]
    """
    work = planned_work(config, n_samples)
    return (resolve_jit_compile(config.jit_compile, work),
            resolve_steps_per_execution(config.steps_per_execution, work))


def planned_work(config, n_samples):
    """Training windows x planned epochs (`config.epochs`); None where the windows (`n_samples`) are not known.

    >>> from lstm_toolkit.training import TrainingConfig
    >>> planned_work(TrainingConfig(epochs=50), 400), planned_work(TrainingConfig(), None)
    (20000, None)
    """
    return None if n_samples is None else n_samples * config.epochs


def resolve_jit_compile(jit_compile, work=None):
    """The `jit_compile` to give Keras.

    "auto": Keras' own choice on GPU (cuDNN); on CPU-only machines XLA when
    `work` (training windows x epochs) is known and at least `XLA_MIN_WORK`.

    >>> resolve_jit_compile("auto", work=100), resolve_jit_compile(False, work=10**9)
    (False, False)
    """
    if jit_compile != "auto":
        return jit_compile
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return "auto"
    return work is not None and work >= XLA_MIN_WORK


def resolve_steps_per_execution(steps_per_execution, work=None):
    """The `steps_per_execution` to give Keras: "auto" is `STEPS_PER_EXECUTION` when `work` (training windows x
    epochs) is known and at least `XLA_MIN_WORK`, else 1.

    >>> resolve_steps_per_execution("auto", work=100), resolve_steps_per_execution("auto", work=10**6)
    (1, 16)
    """
    if steps_per_execution != "auto":
        return steps_per_execution
    return STEPS_PER_EXECUTION if work is not None and work >= XLA_MIN_WORK else 1


PROBE_STEPS = 10


def choose_jit_compile(model, train, steps=PROBE_STEPS):
    """Times `steps` training steps of `model` with and without XLA and keeps the faster; returns the choice.

    Each way is compiled and run once before any step is timed; then the
    steps alternate between the two ways, and the way with the lower median
    step time is kept. Timed in turn, a burst of other work on the machine
    slows both ways alike, and the median ignores a step it caught, where
    timing one way's steps after the other's let one such burst decide. The
    weights and the optimizer's state are put back afterwards, so the probe trains nothing.
    TensorFlow's native log of XLA's start-up is kept off standard error, as at
    import (`backend.native_log_filtered`; `TF_CPP_MIN_LOG_LEVEL=0` shows it).

    Args:
        model: a compiled Keras model.
        train: a `tf.data.Dataset` of `(x, y)` training batches; read in a loop
            when it has fewer than `2 * steps + 2` (a small training of many epochs).
        steps: timed steps per way.

    Returns:
        The `jit_compile` set on `model` (True or False).
    """
    weights = model.get_weights()
    optimizer_state = [variable.numpy() for variable in model.optimizer.variables]
    with native_log_filtered():  # XLA's first compile logs its start-up to stderr: the user did not ask for XLA
        seconds = step_seconds_in_turn(model, train, steps)
    model.set_weights(weights)
    for variable, value in zip(model.optimizer.variables, optimizer_state):
        variable.assign(value)
    model.jit_compile = statistics.median(seconds[True]) < statistics.median(seconds[False])
    model.make_train_function(force=True)
    return model.jit_compile


def step_seconds_in_turn(model, train, steps):
    """`{True: [seconds], False: [seconds]}`: `steps` training steps of `model` with XLA and without, in turn.

    Each way's step is compiled and run once first, untimed. The steps train
    `model`: `choose_jit_compile` puts the weights back. `model.train_function`
    is left as the one without XLA.
    """
    batches, functions = iter(train.repeat()), {}
    for jit in (True, False):
        model.jit_compile = jit
        model.make_train_function(force=True)
        functions[jit] = model.train_function
        model.train_on_batch(*next(batches))  # traced and compiled here, not timed
    seconds = {True: [], False: []}
    for _ in range(steps):
        for jit in (True, False):
            model.train_function, batch = functions[jit], next(batches)  # train_on_batch runs the function it finds
            started = time.perf_counter()
            model.train_on_batch(*batch)
            seconds[jit].append(time.perf_counter() - started)
    return seconds


def xla_pays(n_samples, config, early_stopping=True):
    """Whether a training planned to be large enough for XLA (`resolve_jit_compile`) is worth probing
    (`choose_jit_compile`): the epochs certain to run must read `XLA_MIN_WORK` windows.

    The plan counts every epoch of `config.epochs`, but with early stopping only
    `patience + 1` are certain, and the probe alone (compiling the training step
    with and without XLA) costs seconds: 3-10 s on 2 cores, more than a small
    fit's training (US income at `epochs=200`, 23 epochs run: 8.1 s a fit
    against 3.2 without the probe; Seattle daily wind's default fit, 9 epochs
    certain of 50 planned: 18.0 s against 9.4; `benchmarks/xla_probe.py`). A
    replayed schedule (no early stopping) runs all its epochs. Unknown
    `n_samples`: the plan stands.

    >>> from lstm_toolkit.training import TrainingConfig
    >>> config = TrainingConfig(epochs=200, patience=8)
    >>> xla_pays(150, config), xla_pays(150, config, early_stopping=False), xla_pays(5_000, config)
    (False, True, True)
    """
    if n_samples is None:
        return True
    certain = config.epochs if not early_stopping else min(config.epochs, config.patience + 1)
    return n_samples * certain >= XLA_MIN_WORK
