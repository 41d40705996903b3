"""MiniRocket (Dempster, Schmidt and Webb 2021): fixed random convolutions, counted, then a linear classifier.

A sequence is convolved with 84 fixed kernels of 9 taps (every choice of 3
taps weighted +2, the other six -1), at dilations spread exponentially up to
the training length. Each convolution output is compared with a few biases,
drawn as quantiles of the same convolution of a training case, and each
feature is the proportion of steps above its bias ("proportion of positive
values"). About 10,000 such features go to a ridge classifier with its penalty
chosen by leave-one-out error. Only the biases and the classifier are fitted;
nothing is trained by gradient, so a fit takes seconds where a network takes
minutes, and on small sets of univariate series it is as accurate as the best
deep classifiers (Dempster et al.; the UCR archive's 128 sets).

Here the features are a Keras layer (`MiniRocketFeatures`: its kernels' channel
choices and its biases are non-trainable weights) and the classifier a `Dense`
layer whose weights are the ridge's, so the fitted classifier is one Keras
model: saved as `.keras`, run through the estimators' one predict path,
exported like the others.

Differences from the reference implementation (aeon's `MiniRocket`): inputs are
standardised per channel over the training frames (the classifier's scaler)
rather than per series; sequences of different lengths are end-padded and
every feature counts the real steps only; more than one channel is read as
`MiniRocketMultivariate` does (each kernel and dilation sums the convolutions
of a random subset of up to 9 channels). Probabilities are the ridge's scores
through a softmax (a sigmoid for two classes) whose temperature is fitted to
out-of-fold scores, so `predict_proba` and log loss mean what they say.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from lstm_toolkit.backend import compiled, keras, ops, tf
from lstm_toolkit.data.sequences import BATCH_FRAMES, frames_batch_size
from lstm_toolkit.errors import ConfigError
KERNEL_LENGTH = 9
# The 84 kernels: taps 0..8; the three of each combination weigh +2, the others -1.
COMBINATIONS = np.array(list(itertools.combinations(range(KERNEL_LENGTH), 3)))
N_KERNELS = len(COMBINATIONS)
FEATURES = 10_000
MAX_DILATIONS = 32
RIDGE_ALPHAS = np.logspace(-3, 3, 10)
# Frames (cases x steps) per convolution batch while fitting (`fit_biases`, `rocket_features`).
FEATURE_FRAMES = BATCH_FRAMES
# The range of the probabilities' temperature (see `_temperature`); the suite's sets chose 3-6.5.
TEMPERATURES = (0.01, 20.0)


def kernel_weights():
    """The 84 kernels' taps, `(9, 84)`: -1 everywhere, +2 on each kernel's three taps."""
    weights = -np.ones((KERNEL_LENGTH, N_KERNELS), "float32")
    for k, taps in enumerate(COMBINATIONS):
        weights[taps, k] = 2.0
    return weights


def fit_dilations(length, n_features=FEATURES, max_dilations=MAX_DILATIONS):
    """MiniRocket's dilations for sequences of `length` steps, and how many features (biases) each kernel gets at each.

    Dilations are spread exponentially from 1 to `(length - 1) / 8`, so that
    the widest kernel spans the sequence; repeated (small) dilations get more
    features.

    >>> fit_dilations(24)
    ([1, 2], [79, 40])
    >>> d, f = fit_dilations(427); d[-1], sum(f)
    (53, 119)
    """
    per_kernel = max(1, n_features // N_KERNELS)
    true_max = min(per_kernel, max_dilations)
    multiplier = per_kernel / true_max
    max_exponent = max(0.0, math.log2(max(length - 1, 1) / (KERNEL_LENGTH - 1)))
    dilations, counts = np.unique(np.logspace(0, max_exponent, true_max, base=2).astype(np.int32), return_counts=True)
    per_dilation = (counts * multiplier).astype(np.int32)
    for i in range(per_kernel - int(per_dilation.sum())):
        per_dilation[i % len(per_dilation)] += 1
    return dilations.tolist(), per_dilation.tolist()


def quantiles(n):
    """The low-discrepancy quantiles MiniRocket draws its biases at: `(i * golden ratio) mod 1`, i = 1..n."""
    return (np.arange(1, n + 1) * ((math.sqrt(5) + 1) / 2)) % 1


def channel_choices(n_channels, n_dilations, rng):
    """Which channels each kernel sums at each dilation, `(n_dilations, n_channels, 84)` of 0/1 (MiniRocketMultivariate).

    Each kernel and dilation reads a random subset of `2 ** U(0, log2(min(C, 9) + 1))` channels.
    """
    choices = np.zeros((n_dilations, n_channels, N_KERNELS), "float32")
    exponent = math.log2(min(n_channels, KERNEL_LENGTH) + 1)
    for i in range(n_dilations):
        for k in range(N_KERNELS):
            size = max(1, min(n_channels, int(2 ** rng.uniform(0, exponent))))
            choices[i, rng.choice(n_channels, size, replace=False), k] = 1.0
    return choices


@keras.saving.register_keras_serializable(package="lstm_toolkit")
class MiniRocketFeatures(keras.layers.Layer):
    """MiniRocket's features of `(batch, time, channels)` sequences: `(batch, features)` proportions in [0, 1].

    Padded steps (every channel equal to `mask_value`, at the end) are left out
    of every proportion. Half of the kernel-dilation pairs count every real
    step of the zero-padded ("same") convolution, the other half only the steps
    where the kernel lies inside the sequence, as in the reference.

    Args:
        n_channels: channels per step.
        dilations: the dilations (see `fit_dilations`).
        features_per_dilation: biases per kernel at each dilation.
        mask_value: the value of padded steps.

    The biases are zero until `fit_biases` sets them from training sequences.

    Example:
    >>> import numpy as np
    >>> layer = MiniRocketFeatures(n_channels=1, dilations=[1, 2], features_per_dilation=[2, 1])
    >>> tuple(layer(np.random.default_rng(0).normal(size=(3, 20, 1)).astype("float32")).shape)
    (3, 252)
    """

    def __init__(self, n_channels, dilations, features_per_dilation, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if len(dilations) != len(features_per_dilation) or not dilations:
            raise ConfigError(
                f"Give one feature count per dilation. Received: dilations={dilations}, features_per_dilation={features_per_dilation}"
            )
        self.n_channels = int(n_channels)
        self.dilations = [int(d) for d in dilations]
        self.features_per_dilation = [int(f) for f in features_per_dilation]
        self.mask_value = float(mask_value)
        self.channels = self.add_weight(
            shape=(len(self.dilations), self.n_channels, N_KERNELS), initializer="ones", trainable=False, name="channels"
        )
        self.biases = [
            self.add_weight(shape=(N_KERNELS, f), initializer="zeros", trainable=False, name=f"biases_d{d}")
            for d, f in zip(self.dilations, self.features_per_dilation)
        ]

    @property
    def n_features(self):
        return N_KERNELS * sum(self.features_per_dilation)

    def convolve(self, inputs, index):
        """The 84 kernels' zero-padded ("same") convolutions at the `index`-th dilation: `(batch, time, 84)`."""
        kernel = ops.expand_dims(ops.convert_to_tensor(kernel_weights()), 1) * ops.expand_dims(self.channels[index], 0)
        return ops.conv(inputs, kernel, strides=1, padding="same", dilation_rate=self.dilations[index])

    def call(self, inputs):
        steps = ops.cast(ops.any(ops.not_equal(inputs, self.mask_value), axis=-1), inputs.dtype)  # (batch, time)
        length = ops.sum(steps, axis=1, keepdims=True)
        t = ops.cast(ops.expand_dims(ops.arange(ops.shape(inputs)[1]), 0), inputs.dtype)
        features = []
        for index, dilation in enumerate(self.dilations):
            half = float(4 * dilation)
            inside = steps * ops.cast(t >= half, inputs.dtype) * ops.cast(t + half < length, inputs.dtype)
            # A sequence too short for the kernel to lie inside it counts its real steps instead.
            inside = ops.where(ops.sum(inside, axis=1, keepdims=True) > 0, inside, steps)
            padded = np.array([(index + k) % 2 == 0 for k in range(N_KERNELS)], "float32")
            weights = ops.expand_dims(steps, -1) * padded + ops.expand_dims(inside, -1) * (1.0 - padded)  # (b, t, 84)
            count = ops.maximum(ops.sum(weights, axis=1), 1.0)
            convolved = self.convolve(inputs, index)
            bias = self.biases[index]
            for f in range(self.features_per_dilation[index]):
                above = ops.cast(convolved > bias[:, f], inputs.dtype)
                features.append(ops.sum(above * weights, axis=1) / count)
        return ops.concatenate(features, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_features)

    def get_config(self):
        return {
            **super().get_config(),
            "n_channels": self.n_channels,
            "dilations": self.dilations,
            "features_per_dilation": self.features_per_dilation,
            "mask_value": self.mask_value,
        }

    def fit_biases(self, x, rng):
        """Draws the channel choices and sets the biases from training sequences `x` (`(cases, time, channels)`, end-padded).

        For each dilation and kernel: the quantiles (`quantiles`) of that
        kernel's convolution of one random training case, over its real steps.
        The cases are convolved about `FEATURE_FRAMES` frames at a time, so
        that long sequences do not hold 84 cases' convolutions at once.
        """
        self.channels.assign(channel_choices(self.n_channels, len(self.dilations), rng))
        lengths = np.any(x != self.mask_value, axis=-1).sum(axis=1)
        levels = quantiles(N_KERNELS * sum(self.features_per_dilation))
        group = frames_batch_size(x.shape[1], most=N_KERNELS, frames=FEATURE_FRAMES)
        start = 0
        for index, f in enumerate(self.features_per_dilation):
            cases = rng.integers(len(x), size=N_KERNELS)
            biases = np.empty((N_KERNELS, f), "float32")
            for first in range(0, N_KERNELS, group):
                kernels = range(first, min(first + group, N_KERNELS))
                batch = ops.convert_to_tensor(x[cases[first : kernels.stop]], "float32")
                convolved = ops.convert_to_numpy(self.convolve(batch, index))
                for row, k in enumerate(kernels):
                    real = convolved[row, : max(lengths[cases[k]], 1), k]
                    biases[k] = np.quantile(real, levels[start + k * f : start + (k + 1) * f])
            start += N_KERNELS * f
            self.biases[index].assign(biases)
        return self


def check_rocket_config(config, per_step=False):
    """A MiniRocket classifier reads whole sequences; its only settings are the classifier's."""
    if per_step:
        raise ConfigError("architecture='minirocket' classifies whole sequences; to label every step use 'lstm_fcn', 'fcn' or a recurrent config.")
    if config.members > 1:
        raise ConfigError("architecture='minirocket' has no seed ensemble (its fit is deterministic given the seed); use members=1.")


def build_minirocket_classifier(config, n_features, n_classes, length, mask_value=0.0, name="classifier"):
    """A MiniRocket classifier: `MiniRocketFeatures` for sequences of about `length` steps, then a linear `Dense` head.

    Untrained: `fit_minirocket` sets the biases and the head from training
    data. Two classes give one sigmoid output, more a softmax, as the other classifiers.
    """
    check_rocket_config(config)
    if not length:
        raise ConfigError("A MiniRocket classifier spreads its dilations over the training length: give `length`.")
    dilations, per_dilation = fit_dilations(length)
    inputs = keras.Input(shape=(None, n_features), name="sequences")
    features = MiniRocketFeatures(n_features, dilations, per_dilation, mask_value=mask_value, name="minirocket")(inputs)
    binary = n_classes == 2
    output = keras.layers.Dense(1 if binary else n_classes, activation="sigmoid" if binary else "softmax", name="output")(features)
    return keras.Model(inputs, output, name=name)


def rocket_features(model, x, batch_size=None):
    """The `MiniRocketFeatures` of `model` on sequences `x`, batch by batch: `(cases, features)` float32.

    The default batch holds about `FEATURE_FRAMES` frames (at most 64 sequences).
    """
    batch_size = batch_size or frames_batch_size(x.shape[1], most=64, frames=FEATURE_FRAMES)
    layer = model.get_layer("minirocket")
    function = compiled(layer.call, [tf.TensorSpec((None, None, layer.n_channels), tf.float32)])
    return np.concatenate([function(np.ascontiguousarray(x[i : i + batch_size], "float32")).numpy() for i in range(0, len(x), batch_size)])


def fit_minirocket(model, x, y, sample_weight=None, seed=None):
    """Fits a `build_minirocket_classifier` model on `(x, y)`: biases, then the ridge head and its temperature.

    Args:
        model: the untrained model.
        x: scaled, end-padded training sequences `(cases, time, channels)`.
        y: class indices `(cases,)` (or `(cases, 1)` of 0/1 for two classes).
        sample_weight: per-case weights (class weights) or None.
        seed: for the bias cases and channel choices.

    Returns:
        A history dict (one entry per quantity): the ridge's penalty, the
        out-of-fold accuracy and log loss the temperature was fitted on.
    """
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    model.get_layer("minirocket").fit_biases(x, rng)
    features = rocket_features(model, x).astype("float64")
    y = np.asarray(y).reshape(-1).astype(int)
    scale = StandardScaler(with_mean=False).fit(features).scale_  # as aeon's MiniRocket pipeline; 1 for constant features
    z = features / scale
    ridge = RidgeClassifierCV(alphas=RIDGE_ALPHAS).fit(z, y, sample_weight=sample_weight)
    temperature, oof_accuracy, oof_loss = _temperature(ridge.alpha_, z, y, sample_weight)
    coef = np.atleast_2d(ridge.coef_)
    kernel = (coef / scale).T * temperature
    bias = np.atleast_1d(ridge.intercept_) * temperature
    model.get_layer("output").set_weights([kernel.astype("float32"), bias.astype("float32")])
    return {"alpha": [float(ridge.alpha_)], "temperature": [temperature], "oof_accuracy": [oof_accuracy], "oof_log_loss": [oof_loss]}


def _probabilities(scores, temperature):
    """Softmax (or, for one column, sigmoid) of `temperature * scores`, as `(cases, classes)`."""
    from scipy.special import expit, softmax

    logits = temperature * scores
    if logits.ndim == 1 or logits.shape[1] == 1:
        p = expit(logits.reshape(-1))
        return np.column_stack([1.0 - p, p])
    return softmax(logits, axis=1)


def _temperature(alpha, z, y, sample_weight):
    """The temperature that makes out-of-fold ridge scores the best probabilities (log loss), with that accuracy and loss.

    Folds are stratified (up to 5); with a class of one case there are no
    folds, and the temperature is 1. The temperature stays within
    `TEMPERATURES`: ridge scores are about +-1 for the right class, so the
    top one keeps every probability above about 1e-9 even when the folds
    separate the classes perfectly (which would drive it to infinity).
    """
    from scipy.optimize import minimize_scalar
    from sklearn.linear_model import RidgeClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = min(5, int(np.bincount(y).min()))
    if folds < 2:
        return 1.0, float("nan"), float("nan")
    params = None if sample_weight is None else {"sample_weight": sample_weight}  # `params`: scikit-learn 1.4+
    scores = cross_val_predict(
        RidgeClassifier(alpha=alpha), z, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0),
        method="decision_function", params=params,
    )
    rows = np.arange(len(y))

    def loss(log_t):
        p = _probabilities(scores, math.exp(log_t))
        return -np.mean(np.log(np.clip(p[rows, y], 1e-12, None)))

    best = minimize_scalar(loss, bounds=tuple(np.log(TEMPERATURES)), method="bounded")
    temperature = math.exp(best.x)
    accuracy = float(np.mean(_probabilities(scores, temperature).argmax(axis=1) == y))
    return temperature, accuracy, float(best.fun)
