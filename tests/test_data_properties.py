"""What the data layer promises for any shape of series, checked on generated cases (hypothesis) rather than a few.

The practitioner rules in the README hold here or nowhere: the parts are split by time, a window's targets lie
inside its part, the scaler sees the training rows alone, padding never becomes a target, and a model of many
series never reads a window across two of them.
"""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lstm_toolkit.data import Scaler, SeriesCollection, WindowedSeries, WindowSpec, future_index, integer_step, missing_steps
from lstm_toolkit.errors import DataError, SeriesTooShortError
from lstm_toolkit.models import REFERENCE_NORMS, reference_fits, reference_forecast

PARTS = ("train", "validation", "test")
VALUES = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
SLOW_DATA = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def series_cases(draw):
    """A series of 2-60 values with a lookback, horizon, validation and test part and start padding, as users give them."""
    n_rows = draw(st.one_of(st.integers(2, 16), st.integers(2, 60)))  # short ones often: padding and refusals
    spec = WindowSpec(lookback=draw(st.integers(1, 10)), targets="y", horizon=draw(st.integers(1, 5)))
    validation = draw(st.one_of(st.none(), st.integers(0, n_rows), st.floats(0.05, 0.5)))
    test = draw(st.one_of(st.none(), st.integers(0, n_rows // 3)))
    values = np.array(draw(st.lists(VALUES, min_size=n_rows, max_size=n_rows)))
    return values, spec, validation, test, draw(st.booleans())


def _build(values, spec, validation, test, pad, **kwargs):
    return WindowedSeries.from_frame(pd.DataFrame({"y": values}), spec, validation=validation, test=test, pad=pad,
                                     **kwargs)


def _windows(series, part):
    """Every `(x, y)` window of `part` in time order, from the tf.data pipeline."""
    batches = [(x.numpy(), y.numpy()) for x, y in series.dataset(part, batch_size=16, shuffle=False)]
    if not batches:
        return np.zeros((0, series.spec.lookback, 1)), np.zeros((0, series.spec.horizon, 1))
    return tuple(np.concatenate(arrays) for arrays in zip(*batches))


@SLOW_DATA
@given(series_cases())
def test_windows_keep_to_their_part_and_the_scaler_sees_only_training_rows(case):
    values, spec, validation, test, pad = case
    lookback, horizon = spec.lookback, spec.horizon
    try:
        series = _build(values, spec, validation, test, pad)
    except SeriesTooShortError:
        if not pad:  # refused exactly when the training part holds no window (or no row)
            try:
                assert _build(values, spec, validation, test, pad, min_parts=(), scaler="none").n_windows("train") == 0
            except DataError as error:
                assert "no training rows" in str(error), error
        return
    except DataError as error:
        assert "constant" in str(error) or "must start before" in str(error), error  # nothing else is refused
        return
    lead = series.lead
    (first, train_end), (validation_start, validation_end), (test_start, stop) = (series.bounds[p] for p in PARTS)
    assert first == 0 and train_end == validation_start and validation_end == test_start and stop == len(values) + lead
    for part in PARTS:
        start, end = series.bounds[part]
        starts = series.starts(part)
        targets = starts[:, None] + lookback + np.arange(horizon)[None, :]
        assert ((targets >= max(start, lead)) & (targets < end)).all()  # inside the part, and never a padded row
        assert (starts + lookback - 1 >= lead).all()  # at least one real input row
        x, y = _windows(series, part)
        assert len(x) == len(starts)
        np.testing.assert_array_equal(x, series.inputs[starts[:, None] + np.arange(lookback)[None, :]])
        np.testing.assert_array_equal(y, series.targets[targets])
    # Whatever comes after the training rows, the scaler and the training windows are the same.
    real_train = train_end - lead
    changed = values.copy()
    changed[real_train:] = changed[real_train:] * -3.0 + 1e4
    other = _build(changed, spec, validation, test, pad)
    probe = np.linspace(-1e3, 1e3, 7)[:, None]
    np.testing.assert_array_equal(other.scaler.transform(probe), series.scaler.transform(probe))
    for a, b in zip(_windows(other, "train"), _windows(series, "train")):
        np.testing.assert_array_equal(a, b)


@SLOW_DATA
@given(lengths=st.lists(st.integers(1, 30), min_size=1, max_size=5), lookback=st.integers(1, 6),
       horizon=st.integers(1, 3), pad=st.booleans())
def test_a_collection_never_reads_a_window_across_two_series(lengths, lookback, horizon, pad):
    spec = WindowSpec(lookback=lookback, targets="y", horizon=horizon)
    members = {}
    for key, length in enumerate(lengths):
        values = np.arange(length, dtype="float64") * (key + 1) + 100 * key
        try:
            members[key] = WindowedSeries.from_frame(pd.DataFrame({"y": values}), spec, scaler="none", pad=pad,
                                                     min_parts=())
        except DataError:  # too short for any window even padded
            continue
    assume(members)
    collection = SeriesCollection(members)
    spans = {key: (collection.offsets[key], collection.offsets[key] + len(member.inputs)) for key, member in members.items()}
    for part in PARTS:
        starts = collection.starts(part)
        assert len(starts) == sum(member.n_windows(part) for member in members.values())
        inside = [[lo <= start and start + lookback + horizon <= hi for lo, hi in spans.values()] for start in starts]
        assert all(sum(flags) == 1 for flags in inside)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(["standard", "minmax", "naive"]),
       values=st.lists(st.tuples(VALUES, VALUES), min_size=2, max_size=40))
def test_every_scaler_round_trips_and_survives_json(kind, values):
    values = np.array(values)
    assume((values.max(axis=0) - values.min(axis=0) > 1e-6).all())  # a constant column is refused (test_data)
    scaler = Scaler(kind, columns=["a", "b"]).fit(values)
    scaled = scaler.transform(values)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), values, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(scaler.inverse_transform(scaled[:, 1:], columns=["b"]), values[:, 1:], rtol=1e-9, atol=1e-6)
    multiplier, offset = scaler.coefficients()
    np.testing.assert_allclose(values * multiplier + offset, scaled, rtol=1e-9, atol=1e-9)
    restored = Scaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_array_equal(restored.transform(values), scaled)


@settings(max_examples=80, deadline=None)
@given(labels=st.sets(st.integers(-500, 3000), min_size=2, max_size=30), scale=st.integers(1, 7),
       periods=st.integers(1, 5))
def test_an_index_of_integers_is_a_grid_at_its_step(labels, scale, periods):
    index = pd.Index(sorted(label * scale for label in labels))
    step = integer_step(index)
    assert step % scale == 0 and (np.diff(index) % step == 0).all()
    missing = missing_steps(index, None)
    assert not set(missing) & set(index)
    assert sorted(set(missing) | set(index)) == list(range(index[0], index[-1] + step, step))
    future = future_index(index, None, periods)
    assert future.tolist() == [index[-1] + step * k for k in range(1, periods + 1)]


@settings(max_examples=80, deadline=None)
@given(mode=st.sampled_from(REFERENCE_NORMS), lookback=st.integers(2, 12), horizon=st.integers(1, 6),
       season=st.integers(1, 12), data=st.data())
def test_every_reference_forecast_moves_with_the_window(mode, lookback, horizon, season, data):
    """Shift a window by c and stretch it by a: each reference forecast does the same, so the network's target
    (the series minus its reference) does not depend on where the series stands or on its units."""
    assume(reference_fits(mode, lookback, season))
    window = np.array(data.draw(st.lists(VALUES, min_size=lookback, max_size=lookback)), dtype="float32")[None, :, None]
    a, c = data.draw(st.floats(-10, 10).filter(lambda v: abs(v) > 0.1)), data.draw(st.floats(-100, 100))
    base = np.asarray(reference_forecast(window, mode, horizon, season_length=season), dtype="float64")
    moved = np.asarray(reference_forecast(a * window + c, mode, horizon, season_length=season), dtype="float64")
    np.testing.assert_allclose(moved, a * base + c, rtol=1e-4, atol=1e-2)
    assert base.shape == (1, 1 if mode == "last" else horizon, 1)


def test_the_generators_reach_the_cases_that_matter():
    """The series cases include refusals, padding and every part holding windows: the properties above are not
    vacuous."""
    seen = {"too short": 0, "padded": 0, "all parts": 0}

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)  # the same cases every run
    @given(series_cases())
    def tally(case):
        values, spec, validation, test, pad = case
        try:
            series = _build(values, spec, validation, test, pad, scaler="none")
        except SeriesTooShortError:
            seen["too short"] += 1
            return
        except DataError:
            return
        seen["padded"] += series.lead > 0
        seen["all parts"] += all(series.n_windows(part) for part in PARTS)

    tally()
    assert all(count > 0 for count in seen.values()), seen


@pytest.mark.parametrize("index, expected", [(pd.RangeIndex(0, 30, 5), 5), (pd.Index([1990, 1992, 1998]), 2),
                                             (pd.Index([4]), 1)])
def test_integer_step_examples(index, expected):
    assert integer_step(index) == expected
