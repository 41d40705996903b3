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
