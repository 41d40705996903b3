import json

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

import lstm_toolkit
from lstm_toolkit.data import (
    Scaler,
    WindowedSeries,
    WindowSpec,
    as_frame,
    calendar_features,
    check_columns,
    check_frequency,
    fill_missing,
    future_index,
    infer_frequency,
    input_windows,
    make_window_dataset,
    irregular_steps,
    missing_steps,
    read_panel,
    season_length_for,
    split_points,
    window_starts,
)
from lstm_toolkit.errors import ConfigError, DataError
from lstm_toolkit.models import (
    SEASONAL_NORMS,
    WindowDenormalization,
    WindowNormalization,
    reference_fits,
    reference_forecast,
)


def collect(dataset):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in dataset])
    return np.concatenate(xs), np.concatenate(ys)


# --- frames -----------------------------------------------------------------


def test_as_frame_parses_time_column_and_keeps_values():
    df = pd.DataFrame({"when": ["2024-01-02", "2024-01-03"], "v": [1.0, 2.0]})
    frame = as_frame(df, time_col="when")
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "when"
    assert frame["v"].tolist() == [1.0, 2.0]
    assert "when" in df.columns  # the caller's frame is not modified


def test_as_frame_numpy_gets_row_index_and_numbered_columns():
    frame = as_frame(np.arange(6.0).reshape(3, 2))
    assert list(frame.columns) == [0, 1]
    assert frame.index.tolist() == [0, 1, 2]
    assert as_frame(np.arange(4.0)).shape == (4, 1)


def test_as_frame_rejects_three_dimensional_array():
    with pytest.raises(DataError, match=r"shape \(2, 2, 2\)"):
        as_frame(np.zeros((2, 2, 2)))


def test_duplicate_timestamps_are_named_with_the_fix():
    index = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"])
    with pytest.raises(DataError, match=r"Duplicate timestamp 2024-01-02.*row 2.*groupby"):
        as_frame(pd.DataFrame({"y": [1.0, 2.0, 3.0]}, index=index))


def test_unsorted_timestamps_are_named_with_the_fix():
    index = pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-02"])
    with pytest.raises(DataError, match=r"not sorted: row 2 .*sort_index"):
        as_frame(pd.DataFrame({"y": [1.0, 2.0, 3.0]}, index=index))


def test_timestamps_in_a_column_are_sorted_and_deduplicated_by_that_column_and_the_named_fixes_work():
    frame = pd.DataFrame({"date": ["2024-01-01", "2024-01-03", "2024-01-02"], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match=r"not sorted: row 2 .*df\.sort_values\(\['date'\]\)"):
        as_frame(frame, time_col="date")
    df = frame
    assert as_frame(df.sort_values(["date"]), time_col="date")["y"].tolist() == [1.0, 3.0, 2.0]
    df = pd.concat([frame, frame.iloc[[0]].assign(y=9.0)])
    with pytest.raises(DataError, match=r"Duplicate timestamp 2024-01-01.*df\.drop_duplicates\(\['date'\], keep='last'\)"):
        as_frame(df, time_col="date")
    assert as_frame(df.drop_duplicates(["date"], keep="last").sort_values(["date"]), time_col="date")["y"].tolist() == [9.0, 3.0, 2.0]


def test_missing_time_column_lists_the_available_ones():
    with pytest.raises(DataError, match=r"Time column 'date' not found.*\['y'\]"):
        as_frame(pd.DataFrame({"y": [1.0]}), time_col="date")


def test_unparsable_time_column():
    with pytest.raises(DataError, match="could not be parsed"):
        as_frame(pd.DataFrame({"t": ["yesterday", "nope"], "y": [1.0, 2.0]}), time_col="t")


def test_missing_and_non_numeric_columns(hourly_frame):
    spec = WindowSpec(lookback=4, targets="nope")
    with pytest.raises(DataError, match=r"Target column 'nope' not found.*\['y', 'x'\]"):
        WindowedSeries.from_frame(hourly_frame, spec)
    # An array's columns are numbered: the error says so, and how to name them.
    with pytest.raises(DataError, match=r"Target column 'nope' not found. Available columns: \[0, 1\]\. The data's columns are "
                                        r"numbered.*pd.DataFrame\(array, columns="):
        WindowedSeries.from_frame(as_frame(hourly_frame.to_numpy()), spec)
    frame = hourly_frame.assign(label="a")
    with pytest.raises(DataError, match=r"Feature column 'label' is not numeric \(dtype \w+\)\. Convert it.*to_numeric"):
        WindowedSeries.from_frame(frame, WindowSpec(lookback=4, targets="y", features=("y", "label")))
    # A column of numbers read from a CSV with one stray text ("n/a", "2,5") named neither the value nor its row.
    stray = hourly_frame.assign(y=hourly_frame["y"].astype(str).where(np.arange(len(hourly_frame)) != 3, "n/a"))
    with pytest.raises(DataError, match=rf"Target column 'y' is not numeric \(dtype \w+\), the first value that is "
                                        rf"not a number is 'n/a' at {hourly_frame.index[3]}\. Convert it"):
        WindowedSeries.from_frame(stray, WindowSpec(lookback=4, targets="y"))


def test_a_column_named_twice_is_refused():
    with pytest.raises(ConfigError, match=r"`targets` names \['y'\] more than once.*targets=\['y', 'y'\]"):
        WindowSpec(lookback=4, targets=("y", "y"))
    with pytest.raises(ConfigError, match=r"`features` names \['x'\] more than once"):
        WindowSpec(lookback=4, targets="y", features=("y", "x", "x"))
    with pytest.raises(ConfigError, match=r"`calendar` names \['hour'\] more than once"):
        WindowSpec(lookback=4, targets="y", calendar=("hour", "hour"))


def test_nan_is_refused_with_its_index_label_and_fix():
    frame = pd.DataFrame({"y": [1.0, 2.0, np.nan, 4.0]}, index=pd.date_range("2024-01-01", periods=4, freq="D"))
    with pytest.raises(DataError, match=r"'y' has 1 missing.*the first at index 2024-01-03 00:00:00; pass fill="):
        fill_missing(frame, ["y"])
    with pytest.raises(DataError, match=r"the first at index 12; "):  # the label, which `df.loc` finds, not the position
        fill_missing(pd.DataFrame({"y": [1.0, np.nan]}, index=[11, 12]), ["y"])


def test_inf_is_refused():
    with pytest.raises(DataError, match="missing or infinite"):
        fill_missing(pd.DataFrame({"y": [1.0, np.inf]}), ["y"])


@pytest.mark.parametrize(
    "fill, expected",
    [("ffill", [1.0, 1.0, 3.0]), ("interpolate", [1.0, 2.0, 3.0]), ("zero", [1.0, 0.0, 3.0])],
)
def test_fill_policies(fill, expected):
    assert fill_missing(pd.DataFrame({"y": [1.0, np.nan, 3.0]}), ["y"], fill=fill).ravel().tolist() == expected


def test_ffill_cannot_fill_a_leading_gap():
    with pytest.raises(DataError, match="leading gaps"):
        fill_missing(pd.DataFrame({"y": [np.nan, 1.0]}), ["y"], fill="ffill")


def test_unknown_fill_policy():
    with pytest.raises(DataError, match="fill="):
        fill_missing(pd.DataFrame({"y": [1.0]}), ["y"], fill="mean")


@pytest.mark.parametrize(
    "index, freq, season",
    [
        (pd.date_range("2024-01-01", periods=10, freq="h"), "h", 24),
        (pd.date_range("2024-01-01", periods=10, freq="30min"), "30min", 48),
        (pd.date_range("2024-01-01", periods=10, freq="D"), "D", 7),
        (pd.date_range("2024-01-07", periods=10, freq="W-SUN"), "W-SUN", 52),
        (pd.date_range("2024-01-01", periods=10, freq="MS"), "MS", 12),
        (pd.RangeIndex(10), None, 1),
    ],
)
def test_frequency_and_season(index, freq, season):
    assert infer_frequency(index) == freq
    assert season_length_for(freq) == season


@pytest.mark.parametrize(
    "full, dropped, freq, season",
    [
        (pd.date_range("2000-01-01", periods=60, freq="MS"), [40], "MS", 12),  # "744h" and no season before
        (pd.date_range("2000-01-01", periods=40, freq="QS"), [10, 20, 21], "QS-JAN", 4),
        (pd.date_range("1950-01-01", periods=40, freq="YS"), [3], "YS-JAN", 1),
        (pd.date_range("2024-01-01", periods=500, freq="h"), [2, 3, 300], "h", 24),
        (pd.date_range("2024-01-07", periods=80, freq="W-SUN"), [1], "W-SUN", 52),
    ],
)
def test_an_index_with_missing_steps_keeps_its_frequency_and_names_them(full, dropped, freq, season):
    index = full.delete(dropped)
    assert infer_frequency(index) == freq
    assert season_length_for(freq) == season
    pd.testing.assert_index_equal(missing_steps(index, freq), full[dropped], check_names=False, exact=False)
    assert len(missing_steps(full, infer_frequency(full))) == 0


def test_irregular_times_and_trading_days_have_no_missing_steps():
    irregular = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-05 13:00", "2024-01-09"])
    assert len(missing_steps(irregular, infer_frequency(irregular))) == 0  # not a grid with holes: nothing to name
    check_frequency(irregular, infer_frequency(irregular))  # its median step is no frequency to hold new data to
    check_frequency(irregular[:2], "D")  # a step of 1 day among them
    far = pd.DatetimeIndex(["2000-01-01 00:00", "2000-01-01 00:01", "2000-01-01 00:02", "2040-01-01 00:00"])
    assert len(missing_steps(far, "min")) == 0  # 21 million minutes between: no grid is laid out
    trading = pd.bdate_range("2024-01-01", periods=30).delete([5, 17])
    assert len(missing_steps(trading, infer_frequency(trading))) == 0  # holidays are meant to be missing
    assert len(missing_steps(pd.RangeIndex(5), None)) == 0
    # its "frequency" is its median step (83 hours): the steps of 24 and 85 hours are no whole number of it
    assert list(irregular_steps(irregular, infer_frequency(irregular))) == list(irregular[1:3])
    assert len(irregular_steps(trading, infer_frequency(trading))) == 0 and len(irregular_steps(far, "min")) == 0


def test_periods_bools_and_multilevel_columns():
    periods = pd.period_range("2020-01", periods=4, freq="M")
    frame = as_frame(pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0]}, index=periods))
    starts = list(periods.to_timestamp())  # each period's start
    assert list(frame.index) == starts and infer_frequency(frame.index) == "MS"
    column = as_frame(pd.DataFrame({"t": periods, "y": [1.0, 2.0, 3.0, 4.0]}), time_col="t")
    assert list(column.index) == starts and column.index.name == "t"
    check_columns(pd.DataFrame({"holiday": [True, False]}), ["holiday"], role="feature")  # bools are 0 and 1
    with pytest.raises(DataError, match="MultiIndex.*Flatten"):
        as_frame(pd.DataFrame({("a", "y"): [1.0, 2.0]}))
    # Two columns of one name (a concat of frames) ended in "'DataFrame' object has no attribute 'dtype'".
    twice = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["y", "x", "y"])
    with pytest.raises(DataError, match=r"The column name\(s\) \['y'\] appear more than once.*~df.columns.duplicated"):
        as_frame(twice)
    with pytest.raises(DataError, match=r"\['y'\] appear more than once"):
        lstm_toolkit.Forecaster(lookback=2, horizon=1, target="y").fit(pd.concat([twice] * 6))


def test_trading_days_with_holidays_are_business_days():
    index = pd.bdate_range("2024-01-01", periods=30).delete([5, 17])
    assert infer_frequency(index) == "B"


def test_future_index():
    index = pd.date_range("2024-01-01", periods=3, freq="MS")
    assert future_index(index, "MS", 2).tolist() == [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-05-01")]
    assert future_index(pd.RangeIndex(5), None, 2).tolist() == [5, 6]


# --- calendar ---------------------------------------------------------------


def test_calendar_features_are_cyclic_and_bounded():
    index = pd.date_range("2024-01-01", periods=48, freq="h")
    features = calendar_features(index, ["hour", "dayofweek"])
    assert features.shape == (48, 4)
    assert np.abs(features).max() <= 1.0
    np.testing.assert_allclose(features[0], features[24][:2].tolist() + features[0][2:].tolist(), atol=1e-6)


def test_calendar_features_need_timestamps():
    with pytest.raises(DataError, match="need timestamps"):
        calendar_features(pd.RangeIndex(5), ["hour"])


# --- splits -----------------------------------------------------------------


def test_split_by_fraction_count_and_timestamp():
    assert split_points(pd.RangeIndex(100), validation=0.1, test=0.2) == (70, 80)
    assert split_points(pd.RangeIndex(100), validation=5, test=10) == (85, 90)
    assert split_points(pd.RangeIndex(100)) == (100, 100)
    index = pd.date_range("2024-01-01", periods=10, freq="D")
    assert split_points(index, validation="2024-01-05", test=pd.Timestamp("2024-01-08")) == (4, 7)


@pytest.mark.parametrize("kwargs", [{"test": 1.5}, {"validation": -0.1}, {"test": 500}])
def test_split_rejects_bad_sizes(kwargs):
    with pytest.raises(DataError):
        split_points(pd.RangeIndex(100), **kwargs)


def test_split_rejects_validation_after_test():
    index = pd.date_range("2024-01-01", periods=10, freq="D")
    with pytest.raises(DataError, match="must start before the test part"):
        split_points(index, validation="2024-01-09", test="2024-01-05")


def test_split_by_timestamp_needs_timestamps():
    with pytest.raises(DataError, match="no DatetimeIndex"):
        split_points(pd.RangeIndex(10), test="2024-01-01")


# --- windows ----------------------------------------------------------------


def test_window_starts_keep_targets_inside_the_part():
    assert window_starts(3, 2, first_target=5, stop=9).tolist() == [2, 3, 4]
    assert window_starts(3, 1, first_target=0, stop=6, stride=2).tolist() == [0, 2]
    assert window_starts(3, 5, first_target=5, stop=9).size == 0


@settings(max_examples=60, deadline=None)
@given(
    lookback=st.integers(1, 20),
    horizon=st.integers(1, 10),
    stride=st.integers(1, 5),
    first=st.integers(0, 50),
    length=st.integers(0, 60),
)
def test_window_starts_property(lookback, horizon, stride, first, length):
    stop = first + length
    starts = window_starts(lookback, horizon, first, stop, stride)
    assert (starts >= 0).all()
    assert (starts + lookback >= first).all()
    assert (starts + lookback + horizon <= stop).all()
    if len(starts) > 1:
        assert set(np.diff(starts)) == {stride}


@pytest.mark.parametrize("in_memory", [True, False])
def test_dataset_matches_keras_timeseries_dataset_from_array(in_memory):
    series = np.random.default_rng(0).normal(size=(120, 2)).astype("float32")
    lookback, horizon = 10, 1
    starts = window_starts(lookback, horizon, 0, len(series))
    x, y = collect(make_window_dataset(series, series[:, :1], starts, lookback, horizon, batch_size=16,
                                       in_memory=in_memory))
    reference = keras.utils.timeseries_dataset_from_array(
        series[:-horizon], series[lookback:, :1], sequence_length=lookback, batch_size=16
    )
    rx, ry = collect(reference)
    np.testing.assert_array_equal(x, rx)
    np.testing.assert_array_equal(y[:, 0, :], ry)


@pytest.mark.parametrize("in_memory", [True, False])
def test_input_windows_match_the_dataset(in_memory):
    series = np.random.default_rng(1).normal(size=(50, 3)).astype("float32")
    starts = window_starts(7, 2, 0, 50)
    x, _ = collect(make_window_dataset(series, series, starts, 7, 2, batch_size=8, in_memory=in_memory))
    np.testing.assert_array_equal(input_windows(series, starts + 6, 7), x)


@pytest.mark.parametrize("in_memory", [True, False])
def test_dataset_without_targets_yields_inputs_only(in_memory):
    series = np.arange(10, dtype="float32")[:, None]
    batch = next(iter(make_window_dataset(series, None, [0, 1], 3, 1, batch_size=2, in_memory=in_memory)))
    assert tuple(batch.shape) == (2, 3, 1)


@pytest.mark.parametrize("in_memory", [True, False])
def test_future_and_context_parts_are_the_same_in_memory_or_lazy(in_memory):
    series = np.arange(40, dtype="float32").reshape(20, 2)
    codes = np.arange(20, dtype="int32")
    dataset = make_window_dataset(series, series[:, :1], [0, 3, 5], 4, 2, batch_size=2, future=series[:, 1:],
                                  context=[codes], in_memory=in_memory)
    (window, future, code), target = next(iter(dataset))
    np.testing.assert_array_equal(window.numpy(), series[[[0, 1, 2, 3], [3, 4, 5, 6]]])
    np.testing.assert_array_equal(future.numpy(), series[[[4, 5], [7, 8]]][:, :, 1:])
    np.testing.assert_array_equal(code.numpy(), [0, 3])
    assert code.dtype == tf.int32
    np.testing.assert_array_equal(target.numpy(), series[[[4, 5], [7, 8]]][:, :, :1])


def _first_epoch_order(**kwargs):
    """The first training targets of a seeded, shuffled window dataset: which path made it shows in this order."""
    batches = make_window_dataset(shuffle=True, seed=3, batch_size=8, **kwargs)
    return np.concatenate([y.numpy() for _, y in batches])[:, 0, 0].tolist()


def test_few_windows_are_gathered_once_and_many_lazily(monkeypatch):
    from lstm_toolkit.data import windows

    series = np.arange(100, dtype="float32")[:, None]
    part = dict(inputs=series, targets=series, starts=window_starts(3, 1, 0, 100), lookback=3, horizon=1)
    # 97 windows of 3 input rows and 1 target row, float32: 97 * 16 bytes
    in_memory, lazy = _first_epoch_order(**part, in_memory=True), _first_epoch_order(**part, in_memory=False)
    assert in_memory != lazy and sorted(in_memory) == sorted(lazy)  # the same windows, in each path's own order
    monkeypatch.setattr(windows, "IN_MEMORY_BYTES", 97 * 16)
    assert _first_epoch_order(**part) == in_memory  # at the cap: gathered once
    monkeypatch.setattr(windows, "IN_MEMORY_BYTES", 97 * 16 - 1)
    assert _first_epoch_order(**part) == lazy  # one byte over: batch by batch


def test_the_in_memory_cap_counts_future_rows_and_context_values(monkeypatch):
    from lstm_toolkit.data import windows

    series = np.arange(60, dtype="float32")[:, None]
    part = dict(inputs=np.hstack([series, series]), targets=series, starts=window_starts(4, 2, 0, 60), lookback=4,
                horizon=2, future=np.zeros((60, 3), dtype="float32"), context=[np.zeros(60, dtype="int32")])
    # 55 windows: 4 rows x 2 inputs + 2 target rows + 2 future rows x 3 channels + 1 code, 4 bytes each
    window = 4 * (4 * 2 + 2 + 2 * 3 + 1)
    lazy = _first_epoch_order(**part, in_memory=False)
    assert _first_epoch_order(**part, in_memory=True) != lazy
    monkeypatch.setattr(windows, "IN_MEMORY_BYTES", 55 * window)
    assert _first_epoch_order(**part) == _first_epoch_order(**part, in_memory=True)
    monkeypatch.setattr(windows, "IN_MEMORY_BYTES", 55 * window - 1)
    assert _first_epoch_order(**part) == lazy


def test_batch_size_and_in_memory_must_be_valid():
    with pytest.raises(ConfigError, match="batch_size=0"):
        make_window_dataset(np.zeros((5, 1)), None, [0], 2, 1, batch_size=0)
    with pytest.raises(ConfigError, match="in_memory='yes'"):
        make_window_dataset(np.zeros((5, 1)), None, [0], 2, 1, in_memory="yes")


# --- the windowed series ------------------------------------------------------


def test_no_training_target_touches_validation(counting_frame):
    spec = WindowSpec(lookback=10, targets="y", horizon=5)
    series = WindowedSeries.from_frame(counting_frame, spec, validation=0.2, test=0.2, scaler="none")
    train_end, validation_end = series.bounds["train"][1], series.bounds["validation"][1]
    _, y_train = collect(series.dataset("train", batch_size=32))
    x_val, y_val = collect(series.dataset("validation", batch_size=32))
    _, y_test = collect(series.dataset("test", batch_size=32))
    assert y_train.max() == train_end - 1  # the last training target is the last training row
    assert y_val.min() == train_end and y_val.max() == validation_end - 1
    assert y_test.min() == validation_end and y_test.max() == len(counting_frame) - 1
    assert x_val.min() < train_end  # validation inputs may look back into training rows: context
    assert len(np.unique(y_train[:, 0, 0])) == series.n_windows("train")


def test_scaler_has_seen_only_training_rows(hourly_frame):
    spec = WindowSpec(lookback=24, targets="y", features=("y", "x"))
    series = WindowedSeries.from_frame(hourly_frame, spec, validation=0.1, test=0.2)
    train_end = series.bounds["train"][1]
    estimator = series.scaler.estimator_
    assert estimator.n_samples_seen_ == train_end == 280
    np.testing.assert_allclose(estimator.mean_, hourly_frame[["y", "x"]].iloc[:train_end].mean().to_numpy())
    # The test part's scaled values are not centred: it lies above the training range (trend).
    assert series.targets[series.bounds["test"][0]:].mean() > 0.5


def test_training_windows_are_shuffled_but_validation_keeps_time_order(counting_frame):
    spec = WindowSpec(lookback=5, targets="y")
    series = WindowedSeries.from_frame(counting_frame, spec, validation=0.2, scaler="none")
    _, y_train = collect(series.dataset("train", batch_size=16, seed=3))
    _, y_val = collect(series.dataset("validation", batch_size=16))
    assert not np.all(np.diff(y_train[:, 0, 0]) > 0)
    assert sorted(y_train[:, 0, 0].tolist()) == list(range(5, series.bounds["train"][1]))
    assert np.all(np.diff(y_val[:, 0, 0]) == 1)


def test_a_fitted_scaler_is_applied_not_refit(hourly_frame):
    spec = WindowSpec(lookback=24, targets="y")
    first = WindowedSeries.from_frame(hourly_frame, spec, validation=0.2)
    later = WindowedSeries.from_frame(hourly_frame.iloc[200:], spec, scaler=first.scaler)
    np.testing.assert_allclose(later.targets, first.targets[200:])


def test_inverse_targets_returns_original_units(hourly_frame):
    spec = WindowSpec(lookback=24, targets="y", features=("x", "y"))
    series = WindowedSeries.from_frame(hourly_frame, spec, validation=0.2, scaler="minmax")
    np.testing.assert_allclose(series.inverse_targets(series.targets), hourly_frame[["y"]].to_numpy(), rtol=1e-5)


def test_calendar_channels_follow_the_data_channels(hourly_frame):
    spec = WindowSpec(lookback=24, targets="y", calendar=("hour",))
    series = WindowedSeries.from_frame(hourly_frame, spec)
    assert spec.input_channels == ("y", "hour_sin", "hour_cos")
    assert series.inputs.shape == (400, 3)
    np.testing.assert_allclose(series.inputs[:, 1:], calendar_features(hourly_frame.index, ["hour"]))


def test_too_short_part_says_how_many_rows_are_needed(hourly_frame):
    spec = WindowSpec(lookback=300, targets="y", horizon=24)
    with pytest.raises(DataError, match=r"train part has 320 rows but needs at least 324"):
        WindowedSeries.from_frame(hourly_frame, spec, validation=0.2)
    spec = WindowSpec(lookback=24, targets="y", horizon=48)
    with pytest.raises(DataError, match=r"test part has 40 rows .* needs at least 48"):
        WindowedSeries.from_frame(hourly_frame, spec, test=0.1, min_parts=("train", "test"))


def test_constant_target_with_a_scaler_is_refused():
    frame = pd.DataFrame({"y": [3.0] * 50})
    with pytest.raises(DataError, match=r"'y' is constant \(3\).*divide by zero.*scaler='none'"):
        WindowedSeries.from_frame(frame, WindowSpec(lookback=5, targets="y"))
    WindowedSeries.from_frame(frame, WindowSpec(lookback=5, targets="y"), scaler="none")


@pytest.mark.parametrize("kind", ["standard", "minmax", "none"])
def test_scaler_round_trips_through_json(kind):
    values = np.random.default_rng(2).normal(size=(40, 2)) * [1.0, 100.0]
    scaler = Scaler(kind, columns=["a", "b"]).fit(values)
    restored = Scaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_allclose(restored.transform(values), scaler.transform(values))
    np.testing.assert_allclose(restored.inverse_transform(scaler.transform(values)), values)


def test_unknown_scaler():
    with pytest.raises(ConfigError, match="scaler='robust'"):
        Scaler("robust")


def test_window_spec_validation_and_json():
    spec = WindowSpec(lookback=8, targets=["a", "b"], features=("a", "b", "c"), calendar=("hour",))
    assert WindowSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert spec.target_channels == (0, 1)
    assert spec.n_features == 5
    with pytest.raises(ConfigError, match="lookback=0"):
        WindowSpec(lookback=0, targets="a")
    with pytest.raises(ConfigError, match="Unknown calendar"):
        WindowSpec(lookback=3, targets="a", calendar=("season",))


# --- window-relative normalisation ------------------------------------------


@pytest.mark.parametrize("mode", ["last", "mean"])
def test_window_normalisation_is_undone_exactly(mode):
    x = np.random.default_rng(3).normal(size=(4, 12, 3)).astype("float32") * 5 + 50
    normalised, shift, scale = WindowNormalization(mode, channels=[0, 1])(x)
    normalised = np.asarray(normalised)
    np.testing.assert_array_equal(normalised[..., 2], x[..., 2])  # channel 2 passes through
    restored = WindowDenormalization([0, 1])([normalised[:, :, :2], shift, scale])
    np.testing.assert_allclose(np.asarray(restored), x[:, :, :2], rtol=1e-5)
    if mode == "last":
        np.testing.assert_allclose(normalised[:, -1, :2], 0.0)
    else:
        np.testing.assert_allclose(normalised[..., :2].mean(axis=1), 0.0, atol=1e-5)


@pytest.mark.parametrize("mode", ["drift", "seasonal", "seasonal_drift"])
def test_reference_modes_add_the_reference_forecast_back(mode):
    x = np.random.default_rng(5).normal(size=(3, 12, 2)).astype("float32")
    layer = WindowNormalization(mode, horizon=5, season_length=4)
    normalised, shift, scale = (np.asarray(part) for part in layer(x))
    np.testing.assert_allclose(shift, np.asarray(reference_forecast(x, mode, 5, 4)), rtol=1e-6)
    assert normalised.shape == (3, 12, 4 if mode in SEASONAL_NORMS else 2)  # seasonal modes add differences
    np.testing.assert_allclose(normalised[:, -1, :2], 0.0)
    zero = np.zeros((3, 5, 2), "float32")  # a network output of zero is the reference forecast itself
    np.testing.assert_allclose(np.asarray(WindowDenormalization([0, 1])([zero, shift, scale])), shift, rtol=1e-6)


def test_reference_forecasts_extend_trends_and_seasons():
    trend = np.arange(10, dtype="float32")[None, :, None] * 2.0  # 0, 2, ..., 18
    np.testing.assert_allclose(np.asarray(reference_forecast(trend, "drift", 3, season_length=4))[0, :, 0], [20, 22, 24])
    np.testing.assert_allclose(np.asarray(reference_forecast(trend, "drift", 2))[0, :, 0], [20, 22])  # span: the window
    season = np.tile(np.array([0.0, 5.0, 1.0, 3.0], "float32"), 3)[None, :, None]
    rising = season + np.arange(12, dtype="float32")[None, :, None]  # the same season on a trend of 1 per row
    for mode, series, expected in [("seasonal", season, [0, 5, 1, 3, 0]),
                                   ("seasonal_drift", season, [0, 5, 1, 3, 0]),
                                   ("seasonal_drift", rising, [12, 18, 15, 18, 16])]:
        np.testing.assert_allclose(np.asarray(reference_forecast(series, mode, 5, 4))[0, :, 0], expected)
    with pytest.raises(ConfigError, match="seasonal_drift.*longer than one season"):
        reference_forecast(season[:, :4], "seasonal_drift", 2, 4)


@pytest.mark.parametrize("mode, lookback, fix", [("seasonal", 3, "window_norm='last'"),
                                                 ("seasonal_drift", 4, "window_norm='seasonal'"),
                                                 ("drift", 1, "window_norm='last'")])
def test_a_window_too_short_for_its_reference_says_what_to_change(mode, lookback, fix):
    assert not reference_fits(mode, lookback, 4) and reference_fits(mode, 8, 4)
    with pytest.raises(ConfigError, match=rf"window_norm='{mode}' needs .*lookback={lookback}.*Raise the lookback or use {fix}"):
        WindowNormalization(mode, horizon=2, season_length=4)(np.zeros((1, lookback, 1), "float32"))


def test_window_normalisation_makes_level_shifts_invisible():
    x = np.random.default_rng(4).normal(size=(2, 10, 1)).astype("float32")
    low, _, _ = WindowNormalization("last")(x)
    high, _, _ = WindowNormalization("last")(x + 1000.0)
    np.testing.assert_allclose(np.asarray(low), np.asarray(high), atol=1e-3)


@pytest.mark.parametrize("in_memory", [True, False])
@pytest.mark.parametrize("shuffle", [True, 7])
def test_shuffle_is_new_each_epoch_and_reproducible_with_a_seed(shuffle, in_memory):
    series = np.arange(100, dtype="float32")[:, None]
    starts = window_starts(3, 1, 0, 100)

    def epochs(seed):
        dataset = make_window_dataset(series, series, starts, 3, 1, batch_size=8, shuffle=shuffle, seed=seed,
                                      in_memory=in_memory)
        return [collect(dataset)[1][:, 0, 0].tolist() for _ in range(2)]

    first, second = epochs(seed=5)
    assert sorted(first) == sorted(second) == list(range(3, 100))
    assert first != second
    assert epochs(seed=5) == [first, second]


@pytest.mark.parametrize("in_memory", [True, False])
@pytest.mark.parametrize("shuffle", [False, True, 7])
def test_datasets_know_their_length(shuffle, in_memory):
    series = np.arange(100, dtype="float32")[:, None]
    dataset = make_window_dataset(series, series, window_starts(3, 1, 0, 100), 3, 1, batch_size=8, shuffle=shuffle,
                                  in_memory=in_memory)
    assert int(dataset.cardinality()) == 13  # Keras sizes its progress bar and epochs from it


def test_unknown_dataset_lists_the_shipped_ones():
    from lstm_toolkit.datasets import load

    with pytest.raises(DataError, match=r"Unknown dataset 'nope'. Available: \[.*'seattle_hourly_temperature'"):
        load("nope")



def test_every_shipped_series_has_a_regular_index():
    from lstm_toolkit.datasets import DATASETS, load

    for name, (_, time_col) in DATASETS.items():
        if time_col is None:
            continue
        index = load(name).index
        freq = infer_frequency(index)
        assert freq is not None and len(missing_steps(index, freq)) == 0, name  # the Seattle normals lacked an hour
        assert len(irregular_steps(index, freq)) == 0, name
    seattle = load("seattle_hourly_temperature")
    assert len(seattle) == 24 * 365 and seattle.loc["2010-03-14 03:00", "temp"] == pytest.approx(42.6)

# --- panels of many series from files ----------------------------------------------------------


def test_read_panel_reads_shards_series_by_series_and_reports_every_bad_series(tmp_path):
    panel = lstm_toolkit.datasets.synthetic_panel(5, 30, seed=3, short_fraction=0.0)
    panel["series"] = "s" + panel["series"].astype(str)
    bad = pd.DataFrame({"series": ["dup", "dup", "dup", "gap", "gap", "gap", "one"],
                        "timestamp": pd.to_datetime(["2026-01-01 00:00", "2026-01-01 01:00", "2026-01-01 01:00",
                                                     "2026-01-01 00:00", "2026-01-01 01:00", "2026-01-01 02:00",
                                                     "2026-01-01 00:00"]),
                        "value": [1.0, 2.0, 3.0, 1.0, np.nan, 3.0, 1.0]})
    rows = pd.concat([panel, bad]).sample(frac=1.0, random_state=0)  # every series' rows out of order
    folder = tmp_path / "shards"
    folder.mkdir()
    half = len(rows) // 2  # most series spread over both shards, one shard of each format
    rows.iloc[:half].to_csv(folder / "part-0.csv", index=False)
    rows.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
    with pytest.warns(UserWarning, match="3 of 8 series were left out"):
        read = read_panel(folder, series_id="series", time_col="timestamp", chunksize=37)
    assert sorted(read.series) == [f"s{k}" for k in range(5)] and len(read) == 5
    assert "duplicate timestamp" in read.problems["dup"] and "2026-01-01 01:00" in read.problems["dup"]
    assert "missing" in read.problems["gap"] and "single row" in read.problems["one"]
    for key, frame in read.series.items():
        expected = panel[panel["series"] == key].drop(columns="series").reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    with pytest.warns(UserWarning, match="2 of 8"):
        kept = read_panel(folder, series_id="series", time_col="timestamp", keep_missing=True)
    assert "gap" in kept.series and np.isnan(kept.series["gap"]["value"]).sum() == 1


def test_read_panel_errors_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(DataError, match="No file or folder"):
        read_panel(tmp_path / "nothing.csv", series_id="id", time_col="t")
    with pytest.raises(DataError, match="holds no CSV or Parquet"):
        read_panel(tmp_path, series_id="id", time_col="t")
    pd.DataFrame({"key": ["a", "a"], "t": ["2024-01-01", "2024-01-02"], "y": [1.0, 2.0]}).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match=r"a.csv has no column\(s\) \['id'\]"):
        read_panel(tmp_path / "a.csv", series_id="id", time_col="t")
    pd.DataFrame({"id": ["a", None], "t": ["2024-01-01", "2024-01-02"], "y": [1.0, 2.0]}).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataError, match="have no 'id'"):
        read_panel(tmp_path / "b.csv", series_id="id", time_col="t")
    (tmp_path / "c.txt").write_text("x")
    with pytest.raises(DataError, match="not a CSV or Parquet"):
        read_panel(tmp_path / "c.txt", series_id="id", time_col="t")


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_scaler_transforms_exactly_as_scikit_learn(kind):
    rng = np.random.default_rng(0)
    train, new = (rng.normal(size=(n, 3)) * [1.0, 100.0, 1e-3] + [5.0, -3.0, 1e4] for n in (200, 40))
    scaler = Scaler(kind, columns=["a", "b", "c"]).fit(train)
    reference = scaler.estimator_  # the fitted scikit-learn scaler itself
    np.testing.assert_array_equal(scaler.transform(new), reference.transform(new))
    np.testing.assert_array_equal(scaler.inverse_transform(new), reference.inverse_transform(new))
    np.testing.assert_array_equal(scaler.inverse_transform(new[:, [2, 0]], columns=["c", "a"]),
                                  reference.inverse_transform(new)[:, [2, 0]])


# --- start padding of short series (panels of short series) -------------------------------------


def test_start_padding_leaves_the_scaler_and_every_target_to_real_rows():
    values = np.array([3.0, 5.0, 4.0, 8.0, 6.0, 9.0, 7.0, 10.0, 12.0, 11.0])
    frame = pd.DataFrame({"y": values}, index=pd.date_range("2001-01-01", periods=10, freq="YS"))
    spec = WindowSpec(lookback=8, targets="y", horizon=3)
    with pytest.raises(DataError, match="lookback 8 \\+ horizon 3"):
        WindowedSeries.from_frame(frame, spec, validation=3)
    series = WindowedSeries.from_frame(frame, spec, validation=3, pad=True)
    assert series.lead == 4  # 7 training rows + 4 = lookback + horizon
    assert series.index[:4].year.tolist() == [1997, 1998, 1999, 2000] and series.index[4] == frame.index[0]
    # the scaler saw the 7 real training rows only, never the copies of the first row
    assert series.scaler.estimator_.mean_[0] == pytest.approx(values[:7].mean())
    np.testing.assert_allclose(series.raw[:5, 0], values[0])
    first_target = series.starts("train") + spec.lookback
    assert first_target.min() >= series.lead + 1  # a target is always a real row after at least one real input
    x, y = next(iter(series.dataset("train", batch_size=16, shuffle=False)))
    np.testing.assert_allclose(series.inverse_targets(y.numpy())[0, :, 0], values[4:7])
    assert series.n_windows("validation") == 1
    # too short even padded: every window needs one real input row before horizon real targets
    with pytest.raises(DataError, match="horizon 3 \\+ one row of input, the rest padded"):
        WindowedSeries.from_frame(frame.iloc[:6], spec, validation=3, pad=True)
    history = WindowedSeries.from_frame(frame.iloc[:5], spec, scaler=series.scaler, min_parts=(), pad=True)
    assert history.lead == 3 and len(history.windows_ending_at([len(history.index) - 1])[0]) == 8


def test_naive_scaler_divides_by_the_mean_absolute_change_and_round_trips():
    values = np.array([[10.0, 1.0], [14.0, 1.0], [12.0, 2.0], [18.0, 2.0]])
    scaler = Scaler("naive", columns=["level", "flag"]).fit(values)
    step = np.abs(np.diff(values, axis=0)).mean(axis=0)  # 4.0 and 1/3
    np.testing.assert_allclose(scaler.transform(values), (values - values.mean(axis=0)) / step)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(values)), values)
    multiplier, offset = scaler.coefficients()
    np.testing.assert_allclose(values * multiplier + offset, scaler.transform(values))
    restored = Scaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_allclose(restored.transform(values), scaler.transform(values))
    with pytest.raises(DataError, match="constant"):
        Scaler("naive", columns=["a"]).fit(np.ones((3, 1)))


def test_a_scaler_without_training_rows_says_so():
    with pytest.raises(DataError, match="no training rows"):
        Scaler("standard", columns=["a"]).fit(np.zeros((0, 1)))
