"""What a search may vary, declared on Keras Tuner's HyperParameters.

`SearchSpace` (recurrent forecasters), `ClassifierSearchSpace` (LSTM-FCN
sequence classifiers) and `FrameSearchSpace` (ConvLSTM).
"""

from __future__ import annotations

import dataclasses
import numbers

from lstm_toolkit.errors import ConfigError, check_integer, check_integers, check_real
from lstm_toolkit.models import ARCHITECTURES, ATTENTIONS, CELLS, CLASSIFIER_ARCHITECTURES


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """What a search may vary. A `(low, high)` pair is searched; a single value is fixed.

    Args:
        units: units per recurrent layer, searched per layer (inactive deeper
            layers do not enter the search).
        units_step: step of the units grid.
        depth: number of stacked recurrent layers.
        dropout: dropout between layers.
        dropout_step: step of the dropout grid.
        learning_rate: Adam's learning rate, searched on a log scale.
        cell: the cells to choose from ("lstm", "gru", "peephole").
        bidirectional: the choices for `bidirectional` (stacked architecture
            only: a seq2seq trial is unidirectional).
        architecture: the choices of `ModelConfig.architecture` ("stacked", "seq2seq", "segment").
        attention: the seq2seq attentions to choose from ("dot", "additive", "none").
        segment_length: the segment lengths of a "segment" trial to choose from
            (whole numbers dividing the lookback), or ("auto",).

    Example:
    >>> space = SearchSpace(depth=2, units=(64, 128))  # fix the depth, narrow the units
    >>> from lstm_toolkit.backend import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> space.declare(hp)["units"]
    (64, 64)
    >>> sorted(hp.values)
    ['architecture', 'attention', 'bidirectional', 'cell', 'depth', 'dropout', 'learning_rate', 'units_1', 'units_2']
    >>> SearchSpace.from_dict(space.to_dict()) == space
    True
    """

    units: tuple | int = (32, 256)
    units_step: int = 32
    depth: tuple | int = (1, 4)
    dropout: tuple | float = (0.0, 0.5)
    dropout_step: float = 0.1
    learning_rate: tuple | float = (1e-4, 1e-2)
    cell: tuple = ("lstm",)
    bidirectional: tuple = (False,)
    architecture: tuple = ("stacked",)
    attention: tuple = ("dot",)
    segment_length: tuple = ("auto",)

    def __post_init__(self):
        _normalise(self, pairs=("units", "depth", "dropout", "learning_rate"),
                   choices=("cell", "bidirectional", "architecture", "attention", "segment_length"),
                   integers=("units", "depth", "units_step"), reals=("dropout_step",))
        if self.segment_length != ("auto",):
            lengths = tuple(check_integer(w, "segment_length", also=" (or ('auto',) alone)") for w in self.segment_length)
            object.__setattr__(self, "segment_length", lengths)
        for name, known in (("cell", CELLS), ("architecture", ARCHITECTURES), ("attention", ATTENTIONS)):
            unknown = [c for c in getattr(self, name) if c not in known]
            if unknown:
                raise ConfigError(f"Unknown {name}(s) {unknown}; choose from {list(known)}.")
        if not 0 < self.learning_rate[0]:
            raise ConfigError(f"`learning_rate` must be positive. Received: learning_rate={self.learning_rate}")

    def declare(self, hp):
        """Declares the hyperparameters on `hp` and returns their values for this trial."""
        depth = _int(hp, "depth", self.depth)
        units = []
        for layer in range(1, self.depth[1] + 1):
            if layer == 1:
                units.append(_int(hp, "units_1", self.units, self.units_step))
                continue
            # Deeper layers exist only for the depths that use them.
            with hp.conditional_scope("depth", list(range(layer, self.depth[1] + 1))):
                value = _int(hp, f"units_{layer}", self.units, self.units_step)
            if layer <= depth:
                units.append(value)
        dropout = _float(hp, "dropout", self.dropout, self.dropout_step)
        learning_rate = _float(hp, "learning_rate", self.learning_rate, None, sampling="log")
        cell = _choice(hp, "cell", self.cell)
        bidirectional = _choice(hp, "bidirectional", self.bidirectional)
        architecture = _choice(hp, "architecture", self.architecture)
        attention = _choice(hp, "attention", self.attention)
        segment_length = "auto"
        if "segment" in self.architecture and self.segment_length != ("auto",):
            with hp.conditional_scope("architecture", ["segment"]):
                chosen = _choice(hp, "segment_length", self.segment_length)
            segment_length = chosen if architecture == "segment" else "auto"
        return {
            "units": tuple(units),
            "dropout": dropout,
            "learning_rate": learning_rate,
            "cell": cell,
            "bidirectional": bidirectional and architecture == "stacked",
            "architecture": architecture,
            "attention": attention,
            "segment_length": segment_length,
        }

    def to_dict(self):
        return {name: list(value) for name, value in dataclasses.asdict(self).items() if isinstance(value, tuple)} | {
            "units_step": self.units_step,
            "dropout_step": self.dropout_step,
        }

    @classmethod
    def from_dict(cls, config):
        return cls(**config)


def _kernel_triples(kernels):
    """One triple of kernel sizes, or several, as a tuple of int triples (numpy's integers taken), else a ConfigError.

    >>> _kernel_triples((8, 5, 3)), _kernel_triples([[5, 3, 3], (3, 3, 3)])
    (((8, 5, 3),), ((5, 3, 3), (3, 3, 3)))
    """
    try:
        one = isinstance(kernels[0], numbers.Integral)
        triples = tuple(check_integers(k, "kernel_sizes") for k in ((kernels,) if one else kernels))
    except (ConfigError, TypeError, IndexError, KeyError):
        triples = ()
    if not triples or any(len(k) != 3 for k in triples):
        raise ConfigError(f"`kernel_sizes` must be triples of positive integer kernel sizes, one kernel per block "
                          f"(e.g. (8, 5, 3), or several). Received: kernel_sizes={kernels!r}")
    return triples


@dataclasses.dataclass(frozen=True)
class ClassifierSearchSpace:
    """What a search over LSTM-FCN / FCN sequence classifiers may vary (a pair is searched, one value fixed).

    Args:
        filters: filters of each of the three convolutional blocks, searched per block.
        filters_step: step of the filters grid.
        kernel_sizes: the kernel-size triples to choose from, one kernel per block.
        units: units of the LSTM branch.
        units_step: step of the units grid.
        dropout: dropout after the LSTM branch.
        dropout_step: step of the dropout grid.
        squeeze_excite: the choices for squeeze-and-excitation (MLSTM-FCN).
        architecture: the choices of "lstm_fcn" and "fcn".
        learning_rate: Adam's learning rate, searched on a log scale.

    Example:
    >>> from lstm_toolkit.backend import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> values = ClassifierSearchSpace(filters=64, kernel_sizes=((8, 5, 3),)).declare(hp)
    >>> values["filters"], values["kernel_sizes"]
    ((64, 64, 64), (8, 5, 3))
    >>> ClassifierSearchSpace.from_dict(ClassifierSearchSpace().to_dict()) == ClassifierSearchSpace()
    True
    """

    filters: tuple | int = (32, 128)
    filters_step: int = 32
    kernel_sizes: tuple = ((8, 5, 3), (5, 3, 3), (3, 3, 3))
    units: tuple | int = (8, 64)
    units_step: int = 8
    dropout: tuple | float = (0.2, 0.8)
    dropout_step: float = 0.2
    squeeze_excite: tuple = (False,)
    architecture: tuple = ("lstm_fcn",)
    learning_rate: tuple | float = (1e-4, 1e-2)

    def __post_init__(self):
        _normalise(self, pairs=("filters", "units", "dropout", "learning_rate"), choices=("squeeze_excite", "architecture"),
                   integers=("filters", "units", "filters_step", "units_step"), reals=("dropout_step",))
        object.__setattr__(self, "kernel_sizes", _kernel_triples(self.kernel_sizes))
        unknown = [a for a in self.architecture if a not in CLASSIFIER_ARCHITECTURES]
        if unknown:
            raise ConfigError(f"Unknown architecture(s) {unknown}; choose from {list(CLASSIFIER_ARCHITECTURES)}.")
        if not self.learning_rate[0] > 0:
            raise ConfigError(f"`learning_rate` must be positive. Received: learning_rate={self.learning_rate}")

    def declare(self, hp):
        """Declares the hyperparameters on `hp` and returns their values for this trial."""
        filters = tuple(_int(hp, f"filters_{k}", self.filters, self.filters_step) for k in (1, 2, 3))
        kernel = _choice(hp, "kernel_sizes", tuple("-".join(map(str, k)) for k in self.kernel_sizes))
        return {
            "filters": filters,
            "kernel_sizes": tuple(int(k) for k in kernel.split("-")),
            "units": _int(hp, "units", self.units, self.units_step),
            "dropout": _float(hp, "dropout", self.dropout, self.dropout_step),
            "squeeze_excite": _choice(hp, "squeeze_excite", self.squeeze_excite),
            "architecture": _choice(hp, "architecture", self.architecture),
            "learning_rate": _float(hp, "learning_rate", self.learning_rate, None, sampling="log"),
        }

    def to_dict(self):
        config = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}
        config["kernel_sizes"] = [list(k) for k in self.kernel_sizes]
        return config

    @classmethod
    def from_dict(cls, config):
        return cls(**config)


def _normalise(space, pairs, choices, integers=(), reals=()):
    """Turns each of `pairs` into a (low, high) tuple and each of `choices` into a tuple, in place. `integers`
    (pairs, choices or single values) become Python ints, checked by `errors.check_integer` first; the other pairs
    and `reals` become Python floats (`errors.check_real`), so the space stays JSON-safe."""
    for name in integers:
        value = getattr(space, name)
        many = isinstance(value, (list, tuple))
        object.__setattr__(space, name, [check_integer(v, name) for v in value] if many else check_integer(value, name))
    for name in reals:
        object.__setattr__(space, name, check_real(getattr(space, name), name))
    for name in pairs:
        value = getattr(space, name)
        pair = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
        if name not in integers:
            pair = tuple(check_real(v, name) for v in pair)
        if len(pair) != 2 or pair[0] > pair[1]:
            raise ConfigError(f"`{name}` must be a value or a (low, high) pair with low <= high. "
                              f"Received: {name}={tuple(value) if isinstance(value, list) else value!r}")
        if name == "dropout" and not 0 <= pair[0] <= pair[1] < 1:  # a rate of 1 or more drops every unit
            raise ConfigError(f"`dropout` rates must lie in [0, 1). Received: dropout={value!r}")
        object.__setattr__(space, name, pair)
    for name in choices:
        value = getattr(space, name)
        object.__setattr__(space, name, tuple(value) if isinstance(value, (list, tuple)) else (value,))


def _int(hp, name, bounds, step=1):
    low, high = bounds
    if low == high:
        return hp.Fixed(name, int(low))
    return hp.Int(name, int(low), int(high), step=step)


def _float(hp, name, bounds, step, sampling="linear"):
    low, high = bounds
    if low == high:
        return hp.Fixed(name, float(low))
    return hp.Float(name, float(low), float(high), step=step, sampling=sampling)


def _choice(hp, name, choices):
    if len(choices) == 1:
        return hp.Fixed(name, choices[0])
    return hp.Choice(name, list(choices))


@dataclasses.dataclass(frozen=True)
class FrameSearchSpace:
    """What a search over ConvLSTM frame forecasters may vary (a pair is searched, one value fixed).

    Args:
        filters: filters per ConvLSTM layer, searched per layer.
        filters_step: step of the filters grid.
        depth: number of stacked ConvLSTM layers.
        kernel_size: the square kernel sizes to choose from.
        learning_rate: Adam's learning rate, searched on a log scale.

    Example:
    >>> from lstm_toolkit.backend import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> FrameSearchSpace(depth=2).declare(hp)["filters"]
    (8, 8)
    >>> FrameSearchSpace.from_dict(FrameSearchSpace().to_dict()) == FrameSearchSpace()
    True
    """

    filters: tuple | int = (8, 32)
    filters_step: int = 8
    depth: tuple | int = (1, 2)
    kernel_size: tuple = (3, 5)
    learning_rate: tuple | float = (1e-3, 1e-2)

    def __post_init__(self):
        _normalise(self, pairs=("filters", "depth", "learning_rate"), choices=("kernel_size",),
                   integers=("filters", "depth", "kernel_size", "filters_step"))
        if not self.learning_rate[0] > 0:
            raise ConfigError(f"`learning_rate` must be positive. Received: learning_rate={self.learning_rate}")

    def declare(self, hp):
        depth = _int(hp, "depth", self.depth)
        filters = tuple(_int(hp, f"filters_{k}", self.filters, self.filters_step) for k in range(1, depth + 1))
        return {
            "filters": filters,
            "kernel_size": _choice(hp, "kernel_size", self.kernel_size),
            "learning_rate": _float(hp, "learning_rate", self.learning_rate, None, sampling="log"),
        }

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, config):
        return cls(**config)
