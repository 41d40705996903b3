
from types import SimpleNamespace

import keras_tuner
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import lstm_toolkit
from lstm_toolkit import plotting
from lstm_toolkit.errors import ConfigError, DataError


def backtest_frame():
    steps = np.tile([1, 2], 5)
    return pd.DataFrame({
        "origin": np.repeat(np.arange(5), 2), "timestamp": np.arange(10), "step": steps, "target": "y",
        "forecast": np.linspace(0, 1, 10), "actual": np.linspace(0, 1.1, 10),
        "naive": np.zeros(10), "seasonal_naive": np.ones(10),
    })


def test_figures_render_headless_to_png(tmp_path):
    index = pd.date_range("2024-01-01", periods=60, freq="h")
    history = pd.DataFrame({"y": np.sin(np.arange(50))}, index=index[:50])
    forecast = pd.DataFrame({"y": np.zeros(10)}, index=index[50:])
    actual = pd.DataFrame({"y": np.ones(10)}, index=index[50:])
    figures = [
        plotting.plot_forecast(history, forecast, actual=actual),
        plotting.plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "learning_rate": [1e-3, 1e-3]}),
        plotting.plot_errors_by_step(backtest_frame()),
        plotting.plot_backtest(backtest_frame(), step=2),
    ]
    for number, figure in enumerate(figures):
        assert isinstance(figure, Figure)
        path = tmp_path / f"{number}.png"
        figure.savefig(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_forecast_plot_draws_history_forecast_and_actual():
    index = pd.RangeIndex(20)
    figure = plotting.plot_forecast(
        pd.DataFrame({"y": np.arange(15.0)}, index=index[:15]),
        pd.DataFrame({"y": np.arange(5.0)}, index=index[15:]),
        actual=pd.DataFrame({"y": np.arange(5.0)}, index=index[15:]),
    )
    labels = [line.get_label() for line in figure.axes[0].lines]
    assert labels[:3] == ["history", "forecast", "actual"]


def test_periods_are_drawn_at_their_starts():
    # `predict` and `backtest` give periods back for periods; matplotlib cannot draw a Period ("float() argument ...")
    months = pd.period_range("2020-01", periods=20, freq="M")
    history = pd.DataFrame({"y": np.arange(15.0)}, index=months[:15])
    forecast = pd.DataFrame({"y": [1.0, 2.0]}, index=months[15:17])
    line = plotting.plot_forecast(history, forecast, actual=history).axes[0].lines[1]
    assert pd.Timestamp(line.get_xdata()[0]) == pd.Timestamp("2021-04-01")
    quantiles = forecast.assign(**{"y_q0.1": [0.5, 1.0], "y_q0.9": [1.5, 3.0]})
    assert len(plotting.plot_fan(history, quantiles).axes[0].collections) == 1
    results = backtest_frame().assign(timestamp=lambda frame: months[: len(frame)], origin=lambda frame: months[: len(frame)])
    assert len(plotting.plot_backtest(results).axes[0].lines) == 3


def test_errors_by_step_shows_each_method_per_step():
    figure = plotting.plot_errors_by_step(backtest_frame())
    lines = {line.get_label(): line for line in figure.axes[0].lines}
    assert set(lines) == {"model", "naive", "seasonal naive"}
    np.testing.assert_array_equal(lines["model"].get_xdata(), [1, 2])


def test_history_plot_accepts_a_keras_history_object():
    class History:
        history = {"loss": [3.0, 2.0, 1.0]}

    figure = plotting.plot_history(History())
    assert figure.axes[0].lines[0].get_ydata().tolist() == [3.0, 2.0, 1.0]


def test_history_plot_takes_a_fitted_estimator_and_names_what_has_no_history():
    class Fitted:
        history_ = {"loss": [2.0, 1.0], "val_loss": [2.5, 1.5]}

    assert [line.get_label() for line in plotting.plot_history(Fitted()).axes[0].lines] == ["loss", "val_loss"]
    with pytest.raises(DataError, match=r"No training history to plot in Forecaster: pass `history_` of a fitted"):
        plotting.plot_history(lstm_toolkit.Forecaster())  # not fitted: no history_


def test_forecast_plot_names_a_column_a_frame_lacks():
    index = pd.RangeIndex(20)
    history, forecast = pd.DataFrame({"z": np.arange(15.0)}, index=index[:15]), pd.DataFrame({"y": np.arange(5.0)}, index=index[15:])
    with pytest.raises(DataError, match=r"Column 'y' is not in the history \(columns \['z'\]\)"):
        plotting.plot_forecast(history, forecast)


def test_plots_name_the_frame_they_read_when_given_something_else():
    # A fitted estimator, or a frame other than a backtest's, used to end in AttributeError or KeyError.
    index = pd.RangeIndex(20)
    history, forecast = pd.DataFrame({"y": np.arange(15.0)}, index=index[:15]), pd.DataFrame({"y": np.arange(5.0)}, index=index[15:])
    for plot in (plotting.plot_forecast, plotting.plot_fan):
        with pytest.raises(DataError, match=r"`history` must be the DataFrame `predict` read; received a Forecaster"):
            plot(lstm_toolkit.Forecaster(), forecast)
        with pytest.raises(DataError, match=r"Column 'y' is not in the history \(columns \['z'\]\)"):
            plot(history.rename(columns={"y": "z"}), forecast)
    with pytest.raises(DataError, match=r"`forecast` must be the DataFrame `predict` returned; received a ndarray"):
        plotting.plot_forecast(history, forecast.to_numpy())
    for plot in (plotting.plot_backtest, plotting.plot_errors_by_step):
        with pytest.raises(DataError, match=r"`results` must be the DataFrame `backtest` returns \(columns \[.*'step', "
                                            r"'target', 'forecast'.*\]\); received a DataFrame with columns \['y'\]"):
            plot(history)
    # Each reads only the columns it draws: origin by neither, naive by the errors alone.
    assert isinstance(plotting.plot_backtest(backtest_frame().drop(columns=["origin", "naive"])), Figure)
    assert isinstance(plotting.plot_errors_by_step(backtest_frame().drop(columns=["origin", "timestamp"])), Figure)


def test_anomaly_plot_shades_flagged_and_labelled_stretches():
    from lstm_toolkit.plotting import plot_anomalies

    flags = np.zeros(50, dtype=int)
    flags[10:15] = 1
    labels = np.zeros(50, dtype=int)
    labels[12:20] = 1
    figure = plot_anomalies(np.sin(np.arange(50)), np.arange(50.0), flags=flags, labels=labels, threshold=30)
    top = figure.axes[0]
    spans = [patch.get_x() for patch in top.patches]
    assert sorted(spans) == [9.5, 11.5]  # one flagged and one labelled stretch
    assert [t.get_text() for t in top.get_legend().get_texts()] == ["flagged", "labelled"]


def test_anomaly_plot_reads_labels_as_a_csv_gives_them_and_names_what_is_not_a_number():
    from lstm_toolkit.plotting import plot_anomalies

    # A CSV's text labels: "0" was read as True, so every step was shaded as labelled.
    figure = plot_anomalies(np.zeros(6), np.zeros(6), labels=["0", "1", "1", "0", "0", "0"])
    assert [(patch.get_x(), patch.get_width()) for patch in figure.axes[0].patches] == [(0.5, 2.0)]
    # Text in the signal or the scores ended in numpy's "could not convert string to float".
    with pytest.raises(DataError, match=r"`values` must be numbers, the signal, one row per step; received a list holding 'a'"):
        plot_anomalies(["a", "b"], [1.0, 2.0])
    with pytest.raises(DataError, match=r"`scores` must be numbers, one value per step; received a list holding 'x'"):
        plot_anomalies(np.zeros(3), ["x", 1, 2])
    with pytest.raises(DataError, match=r"`flags`: Labels must be 0 \(normal\) or 1 \(anomaly\); got 0.5"):
        plot_anomalies(np.zeros(3), np.zeros(3), flags=[0, 0.5, 1])
    with pytest.raises(DataError, match=r"`labels`: 1 label\(s\) are missing \(NaN\), the first at step 1"):
        plot_anomalies(np.zeros(3), np.zeros(3), labels=[0, np.nan, 1])
    with pytest.raises(DataError, match=r"`values` must be the signal, one row per step; received shape \(3, 2, 2\)"):
        plot_anomalies(np.zeros((3, 2, 2)), np.zeros(3))


def test_segment_plot_shows_both_label_rows():
    from lstm_toolkit.plotting import plot_segments

    figure = plot_segments([1, 1, 2, 3], [1, 2, 2, 3])
    image = figure.axes[0].images[0].get_array()
    assert image.shape == (2, 4) and image[0].tolist() == [0, 0, 1, 2]


def test_backtest_and_forecast_plots_name_a_target_step_or_history_length_they_cannot_draw():
    # An unknown target or step drew empty axes; `last=0` showed the default, `last="a"` ended in TypeError.
    with pytest.raises(DataError, match=r"no forecasts of target 'z'; its targets are \['y'\]"):
        plotting.plot_backtest(backtest_frame(), target="z")
    with pytest.raises(DataError, match=r"no forecasts 3 step\(s\) ahead; its steps are \[1, 2\]"):
        plotting.plot_backtest(backtest_frame(), step=3)
    with pytest.raises(DataError, match=r"no forecasts of target 'z'"):
        plotting.plot_errors_by_step(backtest_frame(), target="z")
    index = pd.RangeIndex(20)
    history = pd.DataFrame({"y": np.arange(15.0)}, index=index[:15])
    forecast = pd.DataFrame({"y": [1.0, 2.0, 3.0], "y_q0.1": [0.0] * 3, "y_q0.9": [4.0] * 3}, index=index[15:18])
    for plot in (plotting.plot_forecast, plotting.plot_fan):
        for last in (0, -5, "a", 2.5):
            with pytest.raises(ConfigError, match=rf"`last` must be a positive integer or None .*Received: last={last!r}"):
                plot(history, forecast, last=last)
        assert len(plot(history, forecast, last=5).axes[0].lines[0].get_xdata()) == 5
    with pytest.raises(DataError, match=r"`samples` has shape \(5, 4, 1\); the forecast's paths are \(n, 3, 1\)"):
        plotting.plot_fan(history, forecast, samples=np.zeros((5, 4, 1)))
    assert len(plotting.plot_fan(history, forecast, samples=np.zeros((5, 3, 1))).axes[0].lines) == 1 + 5 + 2  # history, paths, median, now


def test_tuning_plot_follows_the_objectives_direction_and_names_what_it_cannot_draw():
    # "best so far" was the running minimum of every search, an accuracy's too.
    trials = pd.DataFrame({"trial_id": ["0", "1", "2"], "status": ["COMPLETED"] * 3, "score": [0.5, 0.9, 0.7],
                           "units_1": [8, 16, 8]})

    def best_so_far(figure):
        return figure.axes[0].lines[1].get_ydata().tolist()

    assert best_so_far(plotting.plot_tuning(trials)) == [0.5, 0.5, 0.5]
    assert best_so_far(plotting.plot_tuning(trials, direction="max")) == [0.5, 0.9, 0.9]
    maximised = SimpleNamespace(trials=trials, tuner=SimpleNamespace(oracle=SimpleNamespace(
        objective=keras_tuner.Objective("val_accuracy", "max"))))  # a TuneResult's parts
    figure = plotting.plot_tuning(maximised)
    assert best_so_far(figure) == [0.5, 0.9, 0.9] and figure.axes[0].get_ylabel() == "objective (higher is better)"
    with pytest.raises(DataError, match=r"No trial of the search has completed \(statuses \['FAILED'\]\)"):
        plotting.plot_tuning(trials.assign(status="FAILED"))
    with pytest.raises(DataError, match=r"`trials` must be a TuneResult or its `trials` \(columns \['status', 'score'\]\); "
                                        r"received a NoneType"):
        plotting.plot_tuning(None)
    with pytest.raises(DataError, match=r"no column\(s\) \['depth'\]"):
        plotting.plot_tuning(trials, hyperparameters=["depth"])
    with pytest.raises(ConfigError, match="`direction` must be 'min' or 'max'"):
        plotting.plot_tuning(trials, direction="up")


def test_sequence_and_network_plots_name_a_shape_or_length_they_cannot_draw():
    # Scores or labels of another length were drawn anyway; the others ended in numpy's or matplotlib's errors.
    with pytest.raises(DataError, match=r"`scores` has 9 value\(s\) for 10 step\(s\)"):
        plotting.plot_anomalies(np.zeros(10), np.zeros(9))
    with pytest.raises(DataError, match=r"`labels` has 8 value\(s\) for 10"):
        plotting.plot_anomalies(np.zeros(10), np.zeros(10), labels=np.zeros(8))
    with pytest.raises(DataError, match=r"`predicted` has 2 value\(s\) for 3"):
        plotting.plot_segments([0, 1, 1], [0, 1])
    with pytest.raises(DataError, match=r"`inputs` must be \(frames, height, width, channels\).*received shape \(3, 8, 8\)"):
        plotting.plot_frames(np.zeros((3, 8, 8)), np.zeros((1, 8, 8, 1)))
    with pytest.raises(DataError, match=r"differ in \(height, width, channels\)"):
        plotting.plot_frames(np.zeros((3, 8, 8, 1)), np.zeros((1, 16, 16, 1)))
    with pytest.raises(DataError, match=r"`weights` must be \(batch, horizon, lookback\)"):
        plotting.plot_attention(np.zeros(3))
    with pytest.raises(DataError, match=r"`sample=2` asks for a window the batch does not hold: it has 1\. Pass a sample from 0 to 0\."):
        plotting.plot_attention(np.zeros((1, 2, 4)), sample=2)
    for plot in (plotting.plot_gates, plotting.plot_cell_state, plotting.plot_forget_per_unit):
        with pytest.raises(DataError, match=r"`gates` must be the dict `lstm_toolkit.gates.lstm_gates\(model, x\)` returns"):
            plot({"hidden": np.zeros((1, 2, 3))})
