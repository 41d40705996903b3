"""Spatiotemporal data: the moving-digits generator and lazy frame windows (for ConvLSTM)."""

import numpy as np
import pytest

from lstm_toolkit.data import frame_windows
from lstm_toolkit.datasets import moving_digits
from lstm_toolkit.errors import ConfigError, DataError


def test_moving_digits_is_seeded_and_keeps_each_digit_whole_on_the_canvas():
    frames = moving_digits(n_sequences=4, n_frames=30, size=20, max_speed=3, seed=7)
    np.testing.assert_array_equal(frames, moving_digits(n_sequences=4, n_frames=30, size=20, max_speed=3, seed=7))
    assert not np.array_equal(frames, moving_digits(n_sequences=4, n_frames=30, size=20, max_speed=3, seed=8))
    mass = frames.sum(axis=(2, 3, 4))
    np.testing.assert_allclose(mass / mass[:, :1], 1.0, rtol=1e-5)  # one digit, never clipped by the edges
    rows = np.arange(20)[None, None, :]
    centre = (frames[..., 0].sum(axis=3) * rows).sum(axis=2) / mass
    steps = np.abs(np.diff(centre, axis=1))
    assert steps.max() <= 3 + 1e-4 and steps.mean() > 0.5  # it moves, no faster than max_speed


def test_moving_digits_checks_its_arguments():
    with pytest.raises(ConfigError, match="size"):
        moving_digits(size=8)
    with pytest.raises(ConfigError, match="n_frames"):
        moving_digits(n_frames=0)


def test_frame_windows_stay_inside_one_sequence_and_targets_follow_inputs():
    n_sequences, steps = 3, 9
    frames = np.zeros((n_sequences, steps, 2, 2, 1), "float32")
    frames += (np.arange(n_sequences)[:, None] * 100 + np.arange(steps)[None, :])[:, :, None, None, None]
    batches = list(frame_windows(frames, lookback=4, horizon=2, batch_size=5, shuffle=True, seed=0))
    x = np.concatenate([b[0].numpy() for b in batches])[:, :, 0, 0, 0]
    y = np.concatenate([b[1].numpy() for b in batches])[:, :, 0, 0, 0]
    assert len(x) == n_sequences * (steps - 4 - 2 + 1)
    assert (x // 100 == x[:, :1] // 100).all() and (y // 100 == x[:, :1] // 100).all()
    np.testing.assert_array_equal(y, x[:, -1:] + np.array([1, 2]))
    np.testing.assert_array_equal(np.diff(x, axis=1), 1)


def test_frame_windows_refuse_bad_shapes():
    with pytest.raises(DataError, match="height, width"):
        frame_windows(np.zeros((5, 4, 4)), lookback=2)
    with pytest.raises(DataError, match="lookback 4"):
        frame_windows(np.zeros((4, 3, 3, 1)), lookback=4)


def test_convlstm_model_learns_and_round_trips(tmp_path):
    import keras

    from lstm_toolkit.models import build_convlstm_model
    from lstm_toolkit.training import TrainingConfig, compile_model, fit

    frames = moving_digits(n_sequences=8, n_frames=8, size=12, seed=0)
    model = build_convlstm_model(lookback=4, frame_shape=(12, 12, 1), horizon=1, filters=(4,))
    config = TrainingConfig(epochs=3, learning_rate=1e-2, verbose=0, seed=0)
    history = fit(compile_model(model, config), frame_windows(frames, lookback=4, batch_size=8), config=config)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "convlstm.keras")
    loaded = keras.models.load_model(tmp_path / "convlstm.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(frames[:2, :4]), model(frames[:2, :4]), atol=1e-6)
    with pytest.raises(ConfigError, match="filters"):
        build_convlstm_model(lookback=4, frame_shape=(12, 12, 1), filters=())


def test_plot_frames_shows_inputs_forecast_and_truth():
    from lstm_toolkit.plotting import plot_frames

    frames = moving_digits(n_sequences=1, n_frames=5, size=12, seed=0)[0]
    figure = plot_frames(frames[:3], frames[3:4], frames[3:4])
    assert [ax.get_title() for ax in figure.axes] == ["t-2", "t-1", "t-0", "predicted t+1", "true t+1"]


# --- FrameForecaster and its search ------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    from lstm_toolkit.datasets import moving_digits

    return moving_digits(n_sequences=24, n_frames=8, size=16, seed=0)


@pytest.fixture(scope="module")
def frame_forecaster(digits):
    from lstm_toolkit.frames import FrameForecaster

    return FrameForecaster(lookback=4, filters=(4,), epochs=2, verbose=0, seed=0).fit(digits)


def test_frame_forecaster_predicts_and_compares_with_baselines(frame_forecaster, digits):
    assert frame_forecaster.loss_ == "binary_crossentropy"  # intensities in [0, 1]
    one = frame_forecaster.predict(digits[0])
    batch = frame_forecaster.predict(digits[:3])
    assert one.shape == (1, 16, 16, 1) and batch.shape == (3, 1, 16, 16, 1)
    np.testing.assert_allclose(one, batch[0], atol=1e-6)  # the last lookback frames are what counts
    table = frame_forecaster.evaluate(digits[-4:])
    assert list(table.index) == ["model", "persistence", "linear_extrapolation"]
    last = digits[-4:, 3:7]
    expected = np.mean((digits[-4:, 4:8] - last) ** 2)  # persistence: each window's last frame, every window
    assert table.loc["persistence", "mse"] == pytest.approx(expected, rel=1e-5)
    assert frame_forecaster.score(digits[-4:]) == pytest.approx(-table.loc["model", "mse"])  # higher is better


def test_frame_forecaster_standardises_other_values_and_round_trips(tmp_path):
    from lstm_toolkit.frames import FrameForecaster

    rng = np.random.default_rng(0)
    grids = 20.0 + 5.0 * rng.normal(size=(6, 7, 5, 5, 2)).cumsum(axis=1)  # e.g. temperatures on a grid
    # validation=None is "no validation part", as for the other estimators (it ended in a TypeError here).
    fc = FrameForecaster(lookback=3, horizon=2, filters=(3,), epochs=1, verbose=0, seed=0, validation=None).fit(grids)
    assert "val_loss" not in fc.history_
    fc = FrameForecaster(lookback=3, horizon=2, filters=(3,), epochs=1, verbose=0, seed=0).fit(grids)
    assert fc.loss_ == "mse" and fc.model_.get_layer("head").activation.__name__ == "linear"
    forecast = fc.predict(grids[0])
    assert forecast.shape == (2, 5, 5, 2) and abs(forecast.mean() - grids.mean()) < 5 * grids.std()
    fc.save(tmp_path / "frames")
    loaded = FrameForecaster.load(tmp_path / "frames")
    np.testing.assert_allclose(loaded.predict(grids[0]), forecast, atol=1e-5)


def test_frame_forecaster_bad_input(frame_forecaster, digits):
    from lstm_toolkit.frames import FrameForecaster

    with pytest.raises(DataError, match="channel axis"):
        FrameForecaster(epochs=1, verbose=0).fit(digits[..., 0][0, 0])
    with pytest.raises(DataError, match="lookback 6"):
        FrameForecaster(epochs=1, verbose=0).fit(digits[:, :5])
    with pytest.raises(DataError, match="NaN"):
        FrameForecaster(epochs=1, verbose=0).fit(np.where(digits > 0.5, np.nan, digits))
    with pytest.raises(DataError, match="fit on"):
        frame_forecaster.predict(np.zeros((4, 8, 8, 1)))
    with pytest.raises(ConfigError, match=r"`validation` must be a fraction in \[0, 1\)\. Received: validation='0.2'"):
        FrameForecaster(epochs=1, verbose=0, validation="0.2").fit(digits)


def test_tune_frames_searches_filters_and_returns_a_fitted_forecaster(digits, tmp_path, traced_models):
    from lstm_toolkit.tuning import FrameSearchSpace, tune_frames

    space = FrameSearchSpace(filters=(2, 4), filters_step=2, depth=(1, 2), kernel_size=3)
    result = tune_frames(digits, lookback=4, tuner="random", max_trials=2, epochs=1, space=space,
                         directory=tmp_path, project_name="frames", validation=0.25)
    assert len(result.trials) == 2 and set(result.trials["status"]) == {"COMPLETED"}
    assert len(traced_models) >= 2 and len({id(m) for m in traced_models}) == len(traced_models)  # once per model
    assert result.best_model_config["kernel_size"] == 3
    assert result.forecaster.predict(digits[0]).shape == (1, 16, 16, 1)
    again = tune_frames(digits, lookback=4, tuner="random", max_trials=3, epochs=1, space=space,
                        directory=tmp_path, project_name="frames", validation=0.25)
    assert len(again.trials) == 3  # resumed: two trials kept, one more run
