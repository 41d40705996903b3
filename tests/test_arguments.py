"""One rule for every integer argument (`errors.check_integer`): numpy's integers are taken and stored as
Python's, so a config stays JSON-safe; bools, floats and strings are refused with a ConfigError that names it.
Numbers that are rates take numpy's floats the same way (`errors.check_real`), and flags numpy's bools
(`errors.check_bool`), where 1, 0 and strings other than the "auto" a flag may take are refused."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from lstm_toolkit import Forecaster
from lstm_toolkit.data import WindowSpec, make_window_dataset
from lstm_toolkit.errors import ConfigError, ReferenceFallbackWarning, check_integer, check_integers, check_real
from lstm_toolkit.forecasting.settings import ForecastSettings
from lstm_toolkit.models import FCNConfig, ModelConfig, SegmentConfig
from lstm_toolkit.training import TrainingConfig
from lstm_toolkit.tuning import ClassifierSearchSpace, FrameSearchSpace, SearchSpace


def _dict(config):
    return config.to_dict() if hasattr(config, "to_dict") else config.get_config()


# name: (a config of the field given as `value`, where the stored value is read, the field's name in messages)
FIELDS = {
    "TrainingConfig.epochs": (lambda v: TrainingConfig(epochs=v), lambda c: c.epochs, "epochs"),
    "TrainingConfig.batch_size": (lambda v: TrainingConfig(batch_size=v), lambda c: c.batch_size, "batch_size"),
    "TrainingConfig.patience": (lambda v: TrainingConfig(patience=v), lambda c: c.patience, "patience"),
    "TrainingConfig.steps_per_execution": (lambda v: TrainingConfig(steps_per_execution=v),
                                           lambda c: c.steps_per_execution, "steps_per_execution"),
    "TrainingConfig.seed": (lambda v: TrainingConfig(seed=v), lambda c: c.seed, "seed"),
    "ModelConfig.units": (lambda v: ModelConfig(units=(v, 8)), lambda c: c.units[0], "units"),
    "ModelConfig.dense_units": (lambda v: ModelConfig(units=(8,), dense_units=v), lambda c: c.dense_units[0],
                                "dense_units"),
    "ModelConfig.season_length": (lambda v: ModelConfig(units=(8,), season_length=v), lambda c: c.season_length,
                                  "season_length"),
    "ModelConfig.members": (lambda v: ModelConfig(units=(8,), members=v), lambda c: c.members, "members"),
    "SegmentConfig.length": (lambda v: SegmentConfig(length=v), lambda c: c.length, "segment_length"),
    "FCNConfig.filters": (lambda v: FCNConfig(filters=(v, 4, 4)), lambda c: c.filters[0], "filters"),
    "WindowSpec.lookback": (lambda v: WindowSpec(lookback=v, targets="y"), lambda c: c.lookback, "lookback"),
    "WindowSpec.horizon": (lambda v: WindowSpec(lookback=4, targets="y", horizon=v), lambda c: c.horizon, "horizon"),
    "SearchSpace.units": (lambda v: SearchSpace(units=(v, 64)), lambda c: c.units[0], "units"),
    "SearchSpace.depth": (lambda v: SearchSpace(depth=v), lambda c: c.depth[0], "depth"),
    "SearchSpace.segment_length": (lambda v: SearchSpace(segment_length=(v,)), lambda c: c.segment_length[0],
                                   "segment_length"),
    "ClassifierSearchSpace.filters": (lambda v: ClassifierSearchSpace(filters=v), lambda c: c.filters[0], "filters"),
    "ClassifierSearchSpace.kernel_sizes": (lambda v: ClassifierSearchSpace(kernel_sizes=(v, 3, 3)),
                                           lambda c: c.kernel_sizes[0][0], "kernel_sizes"),
    "FrameSearchSpace.kernel_size": (lambda v: FrameSearchSpace(kernel_size=(v,)), lambda c: c.kernel_size[0],
                                     "kernel_size"),
}


@pytest.mark.parametrize("field", list(FIELDS))
def test_a_numpy_integer_is_stored_as_a_python_int_and_the_config_round_trips_through_json(field):
    make, stored, _ = FIELDS[field]
    config = make(np.int64(4))
    assert type(stored(config)) is int and stored(config) == 4
    assert type(config).from_dict(json.loads(json.dumps(_dict(config)))) == config if hasattr(config, "to_dict") else \
        type(config).from_config(json.loads(json.dumps(_dict(config)))) == config


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("bad", [True, 4.0, "4", np.float64(4.0), 0])
def test_a_bool_float_string_or_out_of_range_integer_is_refused_by_name(field, bad):
    make, _, name = FIELDS[field]
    if bad == 0 and name in ("patience", "seed"):  # 0 is in range there
        bad = -1
    with pytest.raises(ConfigError, match=f"`{name}` must be"):
        make(bad)


def test_the_rule_itself():
    assert check_integer(np.uint8(3), "n") == 3 and check_integer(None, "seed", 0, allowed=(None,)) is None
    with pytest.raises(ConfigError, match=r"`n` must be an integer >= 2 \(a note\)\. Received: n=1"):
        check_integer(1, "n", 2, also=" (a note)")
    with pytest.raises(ConfigError, match="`n` must be a positive integer"):
        check_integer(np.bool_(True), "n")
    with pytest.raises(ConfigError, match="`n` must be a positive integer"):
        check_integer("auto", "n")  # "auto" only where the argument takes it
    assert check_integers(np.int32(2), "units") == (2,) and type(check_integers([np.int64(3)], "units")[0]) is int
    with pytest.raises(ConfigError, match="`units` must be one or more positive integers"):
        check_integers([8, 2.5], "units")
    assert type(check_real(np.float32(0.5), "rate")) is float
    with pytest.raises(ConfigError, match="`rate` must be a number"):
        check_real("0.5", "rate")


def test_training_config_takes_numpy_floats_as_python_floats():
    config = TrainingConfig(learning_rate=np.float32(0.5), clipnorm=np.float32(2.0))
    assert type(config.learning_rate) is float and type(config.clipnorm) is float
    json.dumps(config.to_dict())
    with pytest.raises(ConfigError, match="`learning_rate` must be a number"):
        TrainingConfig(learning_rate="fast")


@pytest.mark.parametrize("make, read, name", [
    (lambda v: ModelConfig(units=(8,), dropout=v), lambda c: [c.dropout], "dropout"),
    (lambda v: ModelConfig(units=(8,), recurrent_dropout=v), lambda c: [c.recurrent_dropout], "recurrent_dropout"),
    (lambda v: SearchSpace(dropout=(v, 0.5)), lambda c: list(c.dropout), "dropout"),
    (lambda v: SearchSpace(learning_rate=v), lambda c: list(c.learning_rate), "learning_rate"),
    (lambda v: SearchSpace(dropout_step=v), lambda c: [c.dropout_step], "dropout_step"),
    (lambda v: ClassifierSearchSpace(dropout=v), lambda c: list(c.dropout), "dropout"),
    (lambda v: FrameSearchSpace(learning_rate=(v, 0.5)), lambda c: list(c.learning_rate), "learning_rate"),
])
def test_a_numpy_float_rate_is_stored_as_a_python_float_and_a_string_is_refused(make, read, name):
    config = make(np.float32(0.25))
    assert all(type(value) is float for value in read(config)) and 0.25 in read(config)
    json.dumps(_dict(config))
    with pytest.raises(ConfigError, match=f"`{name}` must be a number"):
        make("0.25")


# name: (a config with the flag given as `value`, where it is stored, the flag's name in messages)
FLAGS = {
    "TrainingConfig.jit_compile": (lambda v: TrainingConfig(jit_compile=v), lambda c: c.jit_compile, "jit_compile"),
    "ModelConfig.bidirectional": (lambda v: ModelConfig(units=(8,), bidirectional=v), lambda c: c.bidirectional,
                                  "bidirectional"),
    "ModelConfig.highway": (lambda v: ModelConfig(units=(8,), highway=v), lambda c: c.highway, "highway"),
    "FCNConfig.squeeze_excite": (lambda v: FCNConfig(squeeze_excite=v), lambda c: c.squeeze_excite, "squeeze_excite"),
    "ForecastSettings.stateful": (lambda v: ForecastSettings(stateful=v), lambda c: c.stateful, "stateful"),
    "ForecastSettings.nonnegative": (lambda v: ForecastSettings(nonnegative=v), lambda c: c.nonnegative, "nonnegative"),
}


@pytest.mark.parametrize("field", list(FLAGS))
@pytest.mark.parametrize("flag", [np.True_, np.False_])
def test_a_numpy_bool_flag_is_stored_as_a_python_bool(field, flag):
    make, stored, _ = FLAGS[field]
    config = make(flag)
    assert stored(config) is bool(flag)  # `is True` reads it as it reads a Python bool
    if hasattr(config, "to_dict") or hasattr(config, "get_config"):
        json.dumps(_dict(config))


@pytest.mark.parametrize("field", list(FLAGS))
@pytest.mark.parametrize("bad", [1, 0, np.int64(1), "yes", None])
def test_a_flag_given_as_a_number_string_or_none_is_refused_by_name(field, bad):
    make, _, name = FLAGS[field]
    with pytest.raises(ConfigError, match=f"`{name}` must be True"):
        make(bad)


def test_make_window_dataset_refuses_in_memory_1():
    with pytest.raises(ConfigError, match="`in_memory` must be True, False or 'auto'. Received: in_memory=1"):
        make_window_dataset(np.zeros((5, 1)), None, [0], 2, 1, in_memory=1)


def _sine(n=120):
    return pd.Series(np.sin(np.arange(n) / 5.0) + 2.0, index=pd.date_range("2020-01-01", periods=n, freq="D"), name="y")


@pytest.mark.parametrize("flag", ["stateful", "nonnegative", "reference_fallback", "refit", "level_member"])
def test_forecaster_refuses_a_flag_given_as_1_before_training(flag):
    with pytest.raises(ConfigError, match=f"`{flag}` must be True"):
        Forecaster(lookback=10, horizon=2, epochs=1, verbose=0, **{flag: 1}).fit(_sine())


def test_forecaster_reads_numpy_bools_as_the_bools_they_are():
    """A tuner's choice or a mask's element may be numpy's bool: refit=np.False_ must not refit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReferenceFallbackWarning)
        forecaster = Forecaster(lookback=10, horizon=2, epochs=2, verbose=0, seed=0, model=ModelConfig(units=(8,)),
                                refit=np.False_, nonnegative=np.True_, reference_fallback=np.True_,
                                level_member=np.False_, stateful=np.False_).fit(_sine())
    assert not any(name.startswith("selection_") for name in forecaster.history_)  # no refit
    assert forecaster.problem_.nonnegative is True and forecaster.level_member_ is None
    assert (forecaster.predict(_sine()).to_numpy() >= 0).all()


def test_classifier_kernel_sizes_take_one_triple_or_several_and_refuse_other_shapes():
    assert ClassifierSearchSpace(kernel_sizes=[np.int64(5), 3, 3]).kernel_sizes == ((5, 3, 3),)
    assert ClassifierSearchSpace(kernel_sizes=[(8, 5, 3), np.array([3, 3, 3])]).kernel_sizes == ((8, 5, 3), (3, 3, 3))
    for bad in [(8, 5), ((8, 5, 3), 4), (8.5, 5, 3), "853", {}, ()]:
        with pytest.raises(ConfigError, match="`kernel_sizes` must be triples of positive integer kernel sizes"):
            ClassifierSearchSpace(kernel_sizes=bad)


@pytest.mark.parametrize("settings, message", [
    ({"series_id": ["store"]}, r"`series_id` names one column. Received: series_id=\['store'\]. Series told apart by "
                               r"several columns: join them into one first"),
    ({"time_col": ("day",)}, r"`time_col` names one column. Received: time_col=\('day',\)\.$"),
    ({"target": pd.Series([1.5, 2.5], name="y")}, r"`target` takes column names; received a pandas Series, whose values "
                                                   r"would be read as names. Pass the name\(s\), e.g. target='y'"),
    ({"static_features": pd.DataFrame({"size": [1.0]}, index=["north"])},
     r"`static_features` names columns of the data that hold one value per series; received a DataFrame. Join .*merge"),
    ({"target": "day", "time_col": "day"}, r"`target` names time_col='day', the column of timestamps: give `target` another"),
    ({"features": ["y", "day"], "time_col": "day"}, r"`features` names time_col='day'.*give `features` other columns\.$"),
])
def test_column_settings_that_cannot_name_columns_are_refused_by_name(settings, message):
    # They reached pandas as "unhashable type: 'list'" or "The truth value of a DataFrame is ambiguous", or, for the
    # timestamps' column named as the target, an error about duplicate timestamps of 1970.
    with pytest.raises(ConfigError, match=message):
        ForecastSettings(**settings)


def test_column_names_may_come_as_an_index_or_an_array():
    frame = pd.DataFrame({"store": ["a"] * 40 + ["b"] * 40, "y": np.tile(np.sin(np.arange(40) / 3.0) + 2, 2),
                          "size": [1.0] * 40 + [2.0] * 40})
    fc = Forecaster(lookback=6, horizon=2, target=pd.Index(["y"]), series_id="store", static_features=pd.Index(["size"]),
                    model=ModelConfig(units=(4,)), epochs=1, verbose=0, seed=0)
    fc.prepare(frame)  # static_features=pd.Index was "The truth value of an Index is ambiguous"
    assert fc.problem_.spec.targets == ("y",) and len(fc.problem_.static["mean"]) == 1


def test_column_settings_given_as_arrays_are_kept_as_tuples_of_names():
    settings = ForecastSettings(target=pd.Index(["y"]), calendar=np.array(["hour", "dayofweek"]))
    assert settings.target == ("y",) and settings.calendar == ("hour", "dayofweek")
    assert all(type(name) is str for name in settings.calendar)  # Python strings, as a saved spec writes them
    # the seasonal reference's choice read `settings.calendar` as a truth value: "ambiguous" for an array of two
    hourly = pd.DataFrame({"y": np.sin(np.arange(200) * 2 * np.pi / 24) + 2},
                          index=pd.date_range("2024-01-01", periods=200, freq="h"))
    fc = Forecaster(lookback=12, horizon=2, calendar=np.array(["hour", "dayofweek"]), model=ModelConfig(units=(4,)),
                    epochs=1, verbose=0, seed=0)
    fc.prepare(hourly)
    assert fc.problem_.spec.calendar == ("hour", "dayofweek")
