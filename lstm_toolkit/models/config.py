"""`ModelConfig`: the architecture of a recurrent model, as a small frozen dataclass that round-trips through JSON."""

from __future__ import annotations

import dataclasses
import functools
import warnings

from lstm_toolkit.backend import keras
from lstm_toolkit.errors import ConfigError, check_bool, check_integer, check_integers, check_real
from lstm_toolkit.models.cells import PeepholeLSTM
from lstm_toolkit.models.normalization import check_window_norm
from lstm_toolkit.models.smoothing import check_smoothing

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU, "peephole": PeepholeLSTM}
# The recurrent states each cell carries, in Keras' order.
STATE_PARTS = {"lstm": ("h", "c"), "gru": ("h",), "peephole": ("h", "c")}
ARCHITECTURES = ("stacked", "seq2seq", "segment")
# architecture="auto" reads windows of at least this many rows in segments (`models.segment`). Chosen on
# `benchmarks/forecast_suite.py` (issue 32, 2-core EPYC, 3 seeds): at lookback 168 the segment model fits in
# 13-23 s where the point-wise LSTM took 115-240 s, the default's forecasts are the same (both give way to the
# reference there), and the segment network alone scores 0.578-0.626 (H24) and 0.856-0.972 (H48) against the
# point-wise network's 0.843-1.267 (H48, an earlier run); at lookback 336 it fits in a fifth of the time.
SEGMENT_FROM_LOOKBACK = 168
# How the segment architecture decodes the horizon (see `models.segment`).
SEGMENT_DECODERS = ("parallel", "dense")
# Architectures of sequence classifiers (and labellers) only: a convolutional branch (see `models.fcn`).
CLASSIFIER_ARCHITECTURES = ("lstm_fcn", "fcn")
# Whole-sequence classifiers fitted in closed form, without gradient training: random convolutions and a ridge
# classifier (see `models.rocket`).
ROCKET_ARCHITECTURES = ("minirocket",)
ATTENTIONS = {"dot": keras.layers.Attention, "additive": keras.layers.AdditiveAttention, "none": None}


# `units="auto"`: chosen by the Forecaster from its training data before a model is built.
AUTO = "auto"


def require_units(config):
    """`config.units`, refused by name while still "auto" (a model is built with units given)."""
    if config.units == AUTO:
        raise ConfigError("units='auto' is chosen by the Forecaster from the size of its training data when it fits; "
                          "to build a model directly, give the units, e.g. ModelConfig(units=(64, 64)).")
    return config.units


# The flat keywords of before the split (issue 33) -> (the architecture's options, their name there).
LEGACY_KEYWORDS = {
    "segment_length": ("segment", "length"),
    "segment_decoder": ("segment", "decoder"),
    "filters": ("fcn", "filters"),
    "kernel_sizes": ("fcn", "kernel_sizes"),
    "squeeze_excite": ("fcn", "squeeze_excite"),
}


class ArchitectureOptions:
    """`get_config` / `from_config` of the options of one architecture: its fields, tuples as lists (JSON-safe)."""

    def get_config(self):
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@dataclasses.dataclass(frozen=True)
class SegmentConfig(ArchitectureOptions):
    """The options of `architecture="segment"` (SegRNN, `models.segment`).

    Args:
        length: rows per segment of the window; it must divide the lookback.
            "auto": the season when it divides the lookback, else the divisor
            nearest the lookback's square root.
        decoder: "parallel" (each output segment decoded from the encoder
            state at once, with a learned position) or "dense" (a Dense head
            over the final state).

    Example:
    >>> SegmentConfig.from_config(SegmentConfig(length=24).get_config())
    SegmentConfig(length=24, decoder='parallel')
    """

    length: int | str = "auto"
    decoder: str = "parallel"

    def __post_init__(self):
        if self.decoder not in SEGMENT_DECODERS:
            raise ConfigError(f"`segment_decoder` must be one of {SEGMENT_DECODERS}. Received: {self.decoder!r}")
        object.__setattr__(self, "length", check_integer(self.length, "segment_length", allowed=("auto",), also=" or 'auto'"))



@dataclasses.dataclass(frozen=True)
class FCNConfig(ArchitectureOptions):
    """The convolutional branch of `architecture="lstm_fcn"` / `"fcn"` (sequence classifiers, `models.fcn`).

    Args:
        filters, kernel_sizes: one value each per convolutional block
            (Karim et al.: 128/256/128, 8/5/3).
        squeeze_excite: squeeze-and-excitation after the first blocks (the
            multivariate MLSTM-FCN).

    Example:
    >>> FCNConfig.from_config(FCNConfig(filters=(8, 16, 8)).get_config()).filters
    (8, 16, 8)
    """

    filters: tuple = (128, 256, 128)
    kernel_sizes: tuple = (8, 5, 3)
    squeeze_excite: bool = False

    def __post_init__(self):
        for name in ("filters", "kernel_sizes"):
            object.__setattr__(self, name, check_integers(getattr(self, name), name))
        object.__setattr__(self, "squeeze_excite", check_bool(self.squeeze_excite, "squeeze_excite"))


# ModelConfig's fields that hold the options of one architecture, and their classes.
OPTIONS = {"segment": SegmentConfig, "fcn": FCNConfig}


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The architecture of a recurrent forecaster.

    Args:
        units: units of each stacked recurrent layer, first to last. The
            practitioner's start is 1-2 layers of 64-128 units. "auto" (the
            Forecaster's default) lets the Forecaster choose from the size of
            its training data (`forecasting.choices.resolve_units`); a model
            is built only with units given.
        cell: "lstm", "gru" or "peephole" (an LSTM whose gates also see the
            cell state, `cells.PeepholeLSTMCell`; no cuDNN kernel).
        bidirectional: wrap each recurrent layer in `Bidirectional` (fine over
            a lookback window, which is all past; not for step-by-step streaming).
        dropout: rate of the `Dropout` between recurrent layers and before the head.
        recurrent_dropout: dropout on the recurrent state (disables cuDNN on GPU).
        dense_units: hidden Dense layers of the head.
        dense_activation: activation of those hidden Dense layers.
        output_activation: activation of the output layer ("linear" for regression).
        window_norm: "none", "last", "drift", "seasonal", "seasonal_drift",
            "damped", "mean" or "es": window-relative normalisation done inside the model
            (see `models.WindowNormalization`). "last", "drift", "seasonal",
            "seasonal_drift" and "damped" reference the forecast to a simple one made from the
            window (naive, naive + drift, seasonal naive, seasonal naive + the
            last season's change, damped-trend exponential smoothing;
            `models.reference_forecast`). "auto" (the
            default) lets the Forecaster pick the one of those whose forecast is
            best on the training data, "damped" aside (on the forecast suite it
            helped as many series as it hurt: `forecasting.choices.AUTO_REFERENCES`);
            `build_model` alone treats it as "last".
        season_length: the season of the seasonal modes (and the span of the
            drift), in steps (the Forecaster fills it in from the data's frequency).
        smoothing: "damped"'s coefficients `(alpha, beta, phi)`: the level's
            and the trend's smoothing and the trend's damping (`models.smoothing`).
            The Forecaster fits them on the training windows; None in
            `build_model` is `DEFAULT_SMOOTHING`.
        architecture: "auto" lets the Forecaster pick "segment" for long
            windows (a lookback of `SEGMENT_FROM_LOOKBACK` rows or more, cut into
            segments of more than one row) and "stacked" otherwise;
            `build_model` alone treats it as "stacked".
            "stacked" (the default: the last layer's final state
            feeds a Dense head that outputs every step at once) or "seq2seq":
            an encoder-decoder. The encoder (the stacked layers) returns all
            its hidden states and its final state; a decoder of the same cell,
            started from that state, runs over the `horizon` future steps
            (its inputs: a learned query per step, plus the step's calendar
            features when the Forecaster has `calendar=`) and at each step attends
            over the encoder states; a shared Dense head maps each step's
            decoder output and attention context to its forecast.
        attention: the seq2seq attention: "dot" (Luong, `keras.layers.Attention`),
            "additive" (Bahdanau, `keras.layers.AdditiveAttention`) or "none".
            `gates.attention_weights` returns its weights.
            For sequence classification (and per-step labelling) also
            "lstm_fcn" (LSTM-FCN: a fully convolutional branch beside an LSTM
            of `units[0]` over the dimension-shuffled sequence) or "fcn" (the
            convolutional branch alone); see `models.fcn`.
        fcn: the convolutional branch of "lstm_fcn" / "fcn" (`FCNConfig`, or its dict).
        members: a seed ensemble in one model: this many copies of the
            network, initialised differently and trained each on its own
            loss (`models.ensemble`). A classifier averages their class
            probabilities; a forecaster takes the median of their point
            forecasts, or the mean of their distribution parameters
            (`Forecaster(ensemble=k)` sets it).
        member_lookbacks: an ensemble across lookbacks (N-BEATS's, Oreshkin
            et al. 2020): one member per lookback, each reading the last that
            many steps of the window (so none may exceed the model's lookback)
            with its own reference and highway. Sets `members` to their count;
            empty (the default): every member reads the whole window
            (`Forecaster(ensemble=(6, 8, 12))` sets it).
        segment: the options of architecture="segment" (`SegmentConfig`, or its dict).
        highway: add a linear map of the (normalised) window to the network's
            forecast: LSTNet's autoregressive "highway" (Lai et al. 2018). The
            network then learns what a linear autoregression misses; the
            linear part extrapolates level and trend changes in either
            direction, which a network trained on one season (rising
            temperatures, say) does not. Its weights start at zero. "auto" (the
            Forecaster's default model) is True for window models and False
            for stateful ones, which see one row at a time; `build_model`
            treats it as True. The Forecaster's `linear_share` (a ridge
            regression averaged with the forecast) needs it.

    The options of one architecture live with it: `segment` (`SegmentConfig`)
    and `fcn` (`FCNConfig`). Their old flat keywords (`segment_length`,
    `segment_decoder`, `filters`, `kernel_sizes`, `squeeze_excite`) still work
    with a `DeprecationWarning`, and flat dicts (bundles saved before) load.

    Example:
    >>> config = ModelConfig(units=(128, 64), dropout=0.2, dense_units=(32,))
    >>> ModelConfig.from_dict(config.to_dict()) == config
    True
    >>> ModelConfig(architecture="segment", segment=SegmentConfig(length=24)).segment
    SegmentConfig(length=24, decoder='parallel')
    """

    units: tuple | str = (64,)
    cell: str = "lstm"
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    dense_units: tuple = ()
    dense_activation: str = "relu"
    output_activation: str = "linear"
    window_norm: str = "auto"
    season_length: int | None = None
    smoothing: tuple | None = None
    architecture: str = "stacked"
    attention: str = "dot"
    fcn: FCNConfig = FCNConfig()
    members: int = 1
    member_lookbacks: tuple = ()
    segment: SegmentConfig = SegmentConfig()
    highway: bool | str = False

    def __post_init__(self):
        if isinstance(self.units, str) and self.units != AUTO:
            raise ConfigError(f"`units` must be one or more positive integers or 'auto'. Received: units={self.units!r}")
        if self.units != AUTO:
            object.__setattr__(self, "units", check_integers(self.units, "units", also=" or 'auto'"))
        object.__setattr__(self, "dense_units", check_integers(self.dense_units, "dense_units"))
        for name, kind in OPTIONS.items():
            value = getattr(self, name)
            if isinstance(value, dict):
                object.__setattr__(self, name, kind.from_config(value))
            elif not isinstance(value, kind):
                raise ConfigError(f"`{name}` must be a {kind.__name__} or its dict. Received: {name}={value!r}")
        if not self.units:
            raise ConfigError(f"`units` must be one or more positive integers or 'auto'. Received: units={self.units}")
        if self.cell not in CELLS:
            raise ConfigError(f"`cell` must be one of {list(CELLS)}. Received: cell={self.cell!r}")
        for name in ("dropout", "recurrent_dropout"):
            rate = check_real(getattr(self, name), name)
            object.__setattr__(self, name, rate)
            if not 0.0 <= rate < 1.0:
                raise ConfigError(f"`{name}` must lie in [0, 1). Received: {name}={rate}")
        if self.window_norm != "auto":
            check_window_norm(self.window_norm)
        object.__setattr__(self, "bidirectional", check_bool(self.bidirectional, "bidirectional"))
        known = ARCHITECTURES + CLASSIFIER_ARCHITECTURES + ROCKET_ARCHITECTURES
        if self.architecture not in ("auto",) + known:
            raise ConfigError(
                f"`architecture` must be 'auto' or one of {known}. "
                f"Received: architecture={self.architecture!r}"
            )
        if self.attention not in ATTENTIONS:
            raise ConfigError(f"`attention` must be one of {list(ATTENTIONS)}. Received: attention={self.attention!r}")
        if self.architecture == "seq2seq" and self.bidirectional:
            raise ConfigError(
                "architecture='seq2seq' starts its one-way decoder from the encoder's final state, "
                "which a bidirectional encoder does not have in one piece; use bidirectional=False "
                "with seq2seq, or the stacked architecture with bidirectional=True."
            )
        if self.architecture == "segment" and self.bidirectional:
            raise ConfigError(
                "architecture='segment' decodes the horizon from the encoder's final state, which a bidirectional "
                "encoder does not have in one piece; use bidirectional=False with the segment architecture."
            )
        object.__setattr__(self, "highway", check_bool(self.highway, "highway", allowed=("auto",)))
        object.__setattr__(self, "members", check_integer(self.members, "members"))
        if not self.member_lookbacks:
            object.__setattr__(self, "member_lookbacks", ())  # [] from JSON
        else:
            lookbacks = check_integers(self.member_lookbacks, "member_lookbacks", also=" (one per member)")
            if len(lookbacks) < 2:
                raise ConfigError(f"member_lookbacks={lookbacks} is one member; an ensemble across lookbacks needs two "
                                  "or more (for one window length, set the lookback itself).")
            if self.members not in (1, len(lookbacks)):
                raise ConfigError(f"members={self.members} and member_lookbacks={lookbacks} disagree: an ensemble "
                                  "across lookbacks has one member per lookback; drop `members`.")
            object.__setattr__(self, "member_lookbacks", lookbacks)
            object.__setattr__(self, "members", len(lookbacks))
        if self.smoothing is not None:
            object.__setattr__(self, "smoothing", check_smoothing(self.smoothing))
            if self.window_norm != "damped":
                raise ConfigError("`smoothing` sets the coefficients of window_norm='damped'; "
                                  f"with window_norm={self.window_norm!r} drop it, or use window_norm='damped'.")
        object.__setattr__(self, "season_length", check_integer(self.season_length, "season_length", allowed=(None,),
                                                                also=" or None"))

    def to_dict(self):
        config = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        config.update(units=self.units if self.units == AUTO else list(self.units), dense_units=list(self.dense_units),
                      smoothing=None if self.smoothing is None else list(self.smoothing),
                      member_lookbacks=list(self.member_lookbacks),
                      **{name: getattr(self, name).get_config() for name in OPTIONS})
        return config

    @classmethod
    def from_dict(cls, config):
        """The config of `to_dict`; a flat dict of before the split (a bundle saved then) loads as well."""
        config = dict(config)
        for name, (part, key) in LEGACY_KEYWORDS.items():
            if name in config:
                config[part] = {**config.get(part, {}), key: config.pop(name)}
        return cls(**config)

    get_config, from_config = to_dict, from_dict

    # The options of one architecture, read by their old flat names (deprecated).
    segment_length = property(lambda self: _legacy(self, "segment_length"))
    segment_decoder = property(lambda self: _legacy(self, "segment_decoder"))
    filters = property(lambda self: _legacy(self, "filters"))
    kernel_sizes = property(lambda self: _legacy(self, "kernel_sizes"))
    squeeze_excite = property(lambda self: _legacy(self, "squeeze_excite"))


def _legacy_init(init):
    """`ModelConfig.__init__` that also takes the flat keywords of before the split, with a `DeprecationWarning`."""

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        flat = {name: kwargs.pop(name) for name in LEGACY_KEYWORDS if name in kwargs}
        if flat:
            moved = ", ".join(f"{name} -> {part}.{key}" for name, (part, key) in LEGACY_KEYWORDS.items() if name in flat)
            warnings.warn(f"ModelConfig's {sorted(flat)} moved into the options of their architecture ({moved}): "
                          "pass segment=SegmentConfig(...) or fcn=FCNConfig(...).", DeprecationWarning, stacklevel=2)
            for name, value in flat.items():
                part, key = LEGACY_KEYWORDS[name]
                given = kwargs.get(part, {})  # the options' own defaults fill in the rest
                kwargs[part] = {**(given if isinstance(given, dict) else given.get_config()), key: value}
        init(self, *args, **kwargs)

    return __init__


ModelConfig.__init__ = _legacy_init(ModelConfig.__init__)


def _legacy(config, name):
    part, key = LEGACY_KEYWORDS[name]
    warnings.warn(f"ModelConfig.{name} is now ModelConfig.{part}.{key}.", DeprecationWarning, stacklevel=3)
    return getattr(getattr(config, part), key)
