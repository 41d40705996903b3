"""The exceptions lstm_toolkit raises for user mistakes."""

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
