"""TensorFlow and Keras for the toolkit: imported once, with TensorFlow's start-up log kept off the terminal.

Every module of the toolkit takes TensorFlow, Keras and Keras Tuner from here
(`from lstm_toolkit.backend import keras, tf`), never by importing them itself
first. Loading TensorFlow writes C++ log lines straight to the process' standard
error on some CPUs (``oneDNN custom operations are on ...``, ``cpu_feature_guard``,
``All log messages before absl::InitializeLog() ...``), before
``TF_CPP_MIN_LOG_LEVEL`` can take effect. While TensorFlow loads, file descriptor
2 points at a temporary file instead; afterwards everything written there is
written back to standard error except those log lines. Python warnings and
exceptions raised during the import are never hidden: if the import fails,
everything it wrote is shown as it was. Set ``TF_CPP_MIN_LOG_LEVEL=0`` to see
TensorFlow's start-up log too.

TensorFlow's oneDNN kernels are switched on (``TF_ENABLE_ONEDNN_OPTS=1``) unless
the environment already says otherwise or TensorFlow was imported first.
TensorFlow's wheels turn them on by default only on x86 CPUs with AVX-512 VNNI or
AMX; elsewhere (an AVX2 AMD EPYC, for instance) its matrix products run on
Eigen kernels built for the wheel's baseline instruction set, and a recurrent
training step spends most of its time there: with oneDNN the tutorial model
trains 1.8x the windows per second on a 2-core AMD EPYC, with the same
weights and results equal within float round-off
(``benchmarks/profile_training.py``, ``benchmarks/train_throughput.py``). Set
``TF_ENABLE_ONEDNN_OPTS=0`` before importing the toolkit to keep TensorFlow's
own choice; `onednn_enabled()` says which kernels run.

Without TensorFlow installed, importing this module (and so any estimator) raises
an ImportError that names the extras to install.

Example:

>>> from lstm_toolkit.backend import keras, tf
>>> keras.backend.backend()
'tensorflow'
>>> bool(NATIVE_LOG_LINE.match("I0000 00:00:1796137819.784945    2190 cpu_feature_guard.cc:227] This ..."))
True
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import re
import sys
import tempfile

from lstm_toolkit.errors import MISSING_BACKEND

# One line of TensorFlow's native start-up log: absl's format
# ("I0000 00:00:1796137819.784945    2190 cpu_feature_guard.cc:227] ..."), TensorFlow's older
# own format ("2024-05-01 10:00:00.123456: I tensorflow/core/util/port.cc:113] ..."), absl's
# notice before its logging is set up, and the second line of the CPU-instructions notice.
NATIVE_LOG_LINE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWEF]\d{4} [\d:.]+\s+\d+ [\w.\-]+:\d+\] "
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] [\w/.\-]+:\d+\] "
    r"|To enable the following instructions: "
)


def without_native_log(text):
    """Returns `text` without the lines of TensorFlow's native start-up log.

    Args:
        text: what was written to standard error.

    Returns:
        The other lines, in order, with their line ends.

    Example:

    >>> without_native_log("I0000 00:00:17.5  21 port.cc:153] oneDNN custom operations are on.\\nkept\\n")
    'kept\\n'
    """
    return "".join(line for line in text.splitlines(keepends=True) if not NATIVE_LOG_LINE.match(line))


@contextlib.contextmanager
def native_log_filtered():
    """Keeps TensorFlow's native start-up log off standard error while the block runs.

    File descriptor 2 is pointed at a temporary file for the block; afterwards
    what was written there goes back to standard error, without the log lines
    (`without_native_log`), or all of it if the block raised. Does nothing where
    the process has no file descriptor 2 to redirect.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    keep_all = os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0"
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        except BaseException:
            keep_all = True
            raise
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            text = text if keep_all else without_native_log(text)
            if text:
                sys.stderr.write(text)
                sys.stderr.flush()


# TensorFlow reads this variable once, while it loads: the toolkit's default, unless the user set it.
ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"


def onednn_enabled():
    """Whether TensorFlow runs its oneDNN kernels in this process (matrix products, convolutions).

    Example:

    >>> isinstance(onednn_enabled(), bool)
    True
    """
    try:  # TensorFlow's own answer (loaded with TensorFlow; its tests ask the same function)
        from tensorflow.python.framework.test_util import IsMklEnabled
    except ImportError:  # a TensorFlow without it: the variable, as TensorFlow read it
        return os.environ.get(ONEDNN_VARIABLE) == "1"
    return bool(IsMklEnabled())


def onednn_advice():
    """What to do when TensorFlow runs without oneDNN only because it was imported before the toolkit; else None.

    None too where the user chose (``TF_ENABLE_ONEDNN_OPTS`` set) or the
    kernels are on.

    Example:

    >>> onednn_advice() is None or "import lstm_toolkit" in onednn_advice()
    True
    """
    if not TENSORFLOW_LOADED_FIRST or os.environ.get(ONEDNN_VARIABLE) is not None or onednn_enabled():
        return None
    return (
        "TensorFlow was imported before lstm_toolkit, so it runs without its oneDNN kernels on this CPU: "
        "recurrent training is about 1.8x slower (benchmarks/train_throughput.py). Import lstm_toolkit before "
        "TensorFlow and Keras, or set TF_ENABLE_ONEDNN_OPTS=1 (or =0 to keep TensorFlow's choice and silence this)."
    )


def _load_tensorflow():
    if "tensorflow" not in sys.modules:
        if importlib.util.find_spec("tensorflow") is None:
            raise ImportError(MISSING_BACKEND)
        os.environ.setdefault(ONEDNN_VARIABLE, "1")
    with native_log_filtered():
        import keras
        import tensorflow

    if keras.backend.backend() != "tensorflow":
        raise ImportError(
            f"lstm_toolkit runs on Keras' TensorFlow backend, but Keras is set to {keras.backend.backend()!r} "
            "(KERAS_BACKEND or ~/.keras/keras.json): set KERAS_BACKEND=tensorflow."
        )
    return tensorflow, keras


# A fact about this process, fixed when the toolkit loads: TensorFlow's kernels were chosen before it.
TENSORFLOW_LOADED_FIRST = "tensorflow" in sys.modules
tf, keras = _load_tensorflow()
ops = keras.ops


class _OwnCallable:
    """`function` as a callable object of its own (see `compiled`)."""

    def __init__(self, function):
        self.function = function

    def __call__(self, *inputs):
        return self.function(*inputs)


def compiled(function, input_signature):
    """`tf.function(function, input_signature=...)`, counted apart by TensorFlow's retracing detector.

    TensorFlow counts traces per Python code object, so one closure compiled
    anew for each trained model (every fit of a loop over series, seeds or
    trials traces its own graph once, as it must) reads to it as a function
    retraced on every call, and it logs "triggered tf.function retracing" after
    five models. Wrapped in an object of its own, each compiled model is counted
    by itself: a genuine retrace of one of them still warns.

    Example:

    >>> spec = [tf.TensorSpec((None,), tf.float32)]
    >>> functions = [compiled(lambda x, k=k: x * k, spec) for k in range(3)]
    >>> [float(f(tf.ones(1))[0]) for f in functions]
    [0.0, 1.0, 2.0]
    """
    return tf.function(_OwnCallable(function), input_signature=input_signature)


# A pass of fewer window rows than this in all (batches x window length) runs eagerly: tracing a model costs
# about 0.2-0.3 s on 2 cores, an eager batch of a recurrent model about 4-5 ms per row of its windows.
EAGER_MAX_ROWS = 64


def in_inference_mode(model, dataset):
    """`(outputs, element)` for each element `(x, ...)` of `dataset`: `model(x, training=False)`, run as one graph.

    The model is compiled once for the pass (`compiled`: one trace, whatever
    the batch sizes) instead of run eagerly, which steps a recurrent layer's
    loop from Python: on a forecaster's validation windows at lookback 72 the
    eager pass is several times slower (`benchmarks/validation_pass.py`). A pass
    of fewer than `EAGER_MAX_ROWS` window rows in all (batches x the length of
    the first input's second axis; one batch of short windows) runs eagerly,
    where the trace would cost more than it saves. The outputs are tensors, as
    the model returns them; both ways give the same numbers.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="ones")])
    >>> data = tf.data.Dataset.from_tensor_slices((tf.ones((5, 3)), tf.zeros(5))).batch(2)
    >>> [outputs.numpy().ravel().tolist() for outputs, _ in in_inference_mode(model, data)]
    [[3.0, 3.0], [3.0, 3.0], [3.0]]
    >>> scalar = keras.Sequential([keras.Input(()), keras.layers.Reshape((1,)), keras.layers.Dense(1)])
    >>> [tuple(outputs.shape) for outputs, _ in in_inference_mode(scalar, data.map(lambda x, y: (y, x)))]
    [(2, 1), (2, 1), (1, 1)]
    """
    spec = dataset.element_spec[0]
    parts = tf.nest.flatten(spec)

    def function(*flat):
        return model(tf.nest.pack_sequence_as(spec, list(flat)), training=False)

    batches, first = int(dataset.cardinality()), parts[0].shape
    rows = first[1] if (first.rank or 0) > 1 else 1  # None where the windows' length varies: compiled too
    ranked = all(part.shape.rank is not None for part in parts)  # else no signature: eager
    if ranked and (batches < 0 or rows is None or batches * rows >= EAGER_MAX_ROWS):
        function = compiled(function, [tf.TensorSpec((None, *part.shape[1:]), part.dtype) for part in parts])
    for element in dataset:
        yield function(*tf.nest.flatten(element[0])), element


def count_traces_apart(model):
    """Has TensorFlow's retracing detector count `model`'s Keras train and test functions by themselves.

    Keras compiles new `tf.function`s of the same Python code for every model
    it trains, and TensorFlow counts traces per code object: models trained one
    after another (a loop over series, rolling origins, tuner trials) read to it
    as one function retraced again and again, and it logs "triggered
    tf.function retracing". This builds the two functions as `fit` would
    (`make_train_function`, `make_test_function`) and keys every `tf.function`
    inside them to itself, as `compiled` does: a genuine retrace of one still
    warns. Call it after `compile` and before `fit`. Where Keras lays the
    functions out otherwise, nothing changes but the warnings.
    """
    model.make_train_function()
    model.make_test_function()
    for function in _traced_functions((model.train_function, model.test_function)):
        function._key_for_call_stats = function


def _traced_functions(functions, depth=3):
    """The `tf.function`s among `functions` and the Python functions they close over, `depth` closures deep."""
    for function in functions:
        if isinstance(function, tf.types.experimental.PolymorphicFunction):
            if hasattr(function, "_key_for_call_stats"):
                yield function
        elif depth and callable(function):
            cells = getattr(function, "__closure__", None) or ()
            yield from _traced_functions([cell.cell_contents for cell in cells], depth - 1)


def __getattr__(name):
    # Keras Tuner imports TensorFlow too, and is slow to import: loaded on first use, after TensorFlow.
    if name == "keras_tuner":
        return importlib.import_module("keras_tuner")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
