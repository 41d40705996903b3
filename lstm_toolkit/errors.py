"""The exceptions lstm_toolkit raises for user mistakes, and the rules for numeric and boolean arguments (`check_integer`)."""

import numbers

import numpy as np

MISSING_BACKEND = (
    "lstm_toolkit needs TensorFlow as Keras' backend, and it is not installed: "
    "run `pip install 'lstm-toolkit[cpu]'` (CPU) or `pip install 'lstm-toolkit[gpu]'` (NVIDIA GPU)."
)


class LstmToolkitError(Exception):
    """Base class of every error lstm_toolkit raises on purpose."""


class DataError(LstmToolkitError, ValueError):
    """The input data cannot be used as given; the message says how to fix it."""


class SeriesTooShortError(DataError):
    """A series, or a part of it, has too few rows for one window of the lookback and horizon."""


class ConfigError(LstmToolkitError, ValueError):
    """An argument or config value is out of range or inconsistent."""


class NotFittedError(LstmToolkitError, ValueError, AttributeError):
    """An estimator was used before `fit` (mirrors scikit-learn's NotFittedError)."""


class BundleError(LstmToolkitError, ValueError):
    """A saved bundle is missing, truncated, tampered with or of another format."""


class LeakageWarning(UserWarning):
    """An evaluation overlaps the data the model was trained on."""


class CollapsedClassifierWarning(UserWarning):
    """A fitted classifier predicts one class for every training case: it has learned nothing but the class rates."""


class ReferenceFallbackWarning(UserWarning):
    """A trained forecaster did not clearly beat its reference forecast on validation, and keeps the reference instead."""


class ShortLookbackWarning(UserWarning):
    """The lookback is shorter than one season: a window cannot hold the value one season before the forecast."""


class MissingTimestampsWarning(UserWarning):
    """The time index skips steps of its frequency: windows read the rows on either side of a gap as consecutive."""


class IrregularTimestampsWarning(UserWarning):
    """The time index is on no regular grid (jittered or event times): windows read its rows as equally spaced."""


class CuDNNWarning(UserWarning):
    """A model config that cannot use the fused cuDNN kernel on GPU (shown once per call site)."""


class SlowKernelsWarning(UserWarning):
    """TensorFlow was loaded before the toolkit and runs its slower matrix kernels (see `backend.onednn_advice`)."""


def user_stacklevel():
    """The `stacklevel` for a `warnings.warn` in the caller of this function that points at the first frame outside lstm_toolkit.

    A warning raised a few calls deep in the package then names the user's line,
    whatever path led there.
    """
    import os
    import traceback

    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frames = traceback.extract_stack()[:-1]  # the caller of this function is last
    level = 1  # frames[-level] is in the package; the first frame outside it is one level further out
    while level < len(frames) and os.path.abspath(frames[-level - 1].filename).startswith(package):
        level += 1
    return level + 1


def check_integer(value, name, minimum=1, *, allowed=(), also=""):
    """`value` as a Python int when it is an integer of at least `minimum`, else a ConfigError that names `name`.

    One rule for every integer argument: Python's and numpy's integers are
    taken (numpy's become int, so a config holding one stays JSON-safe);
    bools, floats and strings are refused. `allowed` holds the other values
    the argument takes (strings or None, e.g. "auto"), returned as they come;
    `also` names them in the message.

    >>> import numpy as np
    >>> check_integer(np.int64(3), "epochs"), check_integer("auto", "lookback", allowed=("auto",))
    (3, 'auto')
    >>> check_integer(True, "epochs")
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.ConfigError: `epochs` must be a positive integer. Received: epochs=True
    >>> check_integer(-1, "patience", 0, also=" (epochs)")
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.ConfigError: `patience` must be an integer >= 0 (epochs). Received: patience=-1
    """
    if (value is None or isinstance(value, str)) and value in allowed:
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum:
        return int(value)
    kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    raise ConfigError(f"`{name}` must be {kind}{also}. Received: {name}={value!r}")


def check_integers(value, name, also=""):
    """`value`, one integer or a sequence of them, as a tuple of ints >= 1 (each as `check_integer` takes it).

    >>> check_integers(64, "units"), check_integers([64, 32], "units")
    ((64,), (64, 32))
    """
    try:
        return tuple(check_integer(v, name) for v in ((value,) if isinstance(value, numbers.Integral) else value))
    except (ConfigError, TypeError):
        raise ConfigError(f"`{name}` must be one or more positive integers{also}. Received: {name}={value!r}") from None


def check_real(value, name, allowed=()):
    """`value` as a Python float when it is a real number (Python's or numpy's; not a bool), else a ConfigError.

    The range is the caller's to check; `allowed` as in `check_integer`.

    >>> import numpy as np
    >>> check_real(np.float32(0.5), "learning_rate"), check_real(None, "clipnorm", allowed=(None,))
    (0.5, None)
    """
    if (value is None or isinstance(value, str)) and value in allowed:
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise ConfigError(f"`{name}` must be a number. Received: {name}={value!r}")


def check_fraction(value, name, high=1.0, *, open_low=False, allowed=(None,)):
    """`value` as a Python float in [0, high) ((0, high) with `open_low`), else a ConfigError naming the range.

    `allowed` values (by default None, "no validation part") are returned as 0.0.

    >>> check_fraction(0.1, "validation"), check_fraction(None, "validation")
    (0.1, 0.0)
    >>> check_fraction("1%", "contamination", 0.5, open_low=True)
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.ConfigError: `contamination` must be a fraction in (0, 0.5). Received: contamination='1%'
    """
    if value is None and value in allowed:
        return 0.0
    number = value if isinstance(value, numbers.Real) and not isinstance(value, bool) else float("nan")
    if not (0 < number if open_low else 0 <= number) or not number < high:  # NaN fails both
        interval = f"{'(' if open_low else '['}0, {high:g})"
        raise ConfigError(f"`{name}` must be a fraction in {interval}. Received: {name}={value!r}")
    return float(number)


def check_bool(value, name, allowed=()):
    """`value` as a Python bool when it is Python's or numpy's bool (a tuner's choice may be one), else a ConfigError.

    `allowed` holds the strings the argument also takes (e.g. "auto"), returned as they come.

    >>> import numpy as np
    >>> check_bool(np.bool_(True), "bidirectional"), check_bool("auto", "highway", allowed=("auto",))
    (True, 'auto')
    >>> check_bool(1, "highway", allowed=("auto",))
    Traceback (most recent call last):
    ...
    lstm_toolkit.errors.ConfigError: `highway` must be True, False or 'auto'. Received: highway=1
    """
    if isinstance(value, str) and value in allowed:
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    names = ["True", "False", *map(repr, allowed)]
    choices = f"{', '.join(names[:-1])} or {names[-1]}"  # "True or False", "True, False or 'auto'"
    raise ConfigError(f"`{name}` must be {choices}. Received: {name}={value!r}")
