"""AnomalyDetector, its baselines and metrics."""

import numpy as np
import pandas as pd
import pytest

from lstm_toolkit import ModelConfig
from lstm_toolkit.backend import keras
from lstm_toolkit.errors import BundleError, ConfigError, DataError
from lstm_toolkit.metrics import anomaly_metrics
from lstm_toolkit.sequences.anomaly import AnomalyDetector
from lstm_toolkit.sequences.signals import dominant_period, isolation_forest_scores, rolling_zscore_scores, smooth_scores

TINY = ModelConfig(units=(8,))


def periodic_with_spike(n=1200, period=24, spike_at=900, width=3, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = np.sin(2 * np.pi * t / period) + rng.normal(scale=0.05, size=n)
    labels = np.zeros(n, dtype=int)
    values[spike_at : spike_at + width] += 4.0
    labels[spike_at : spike_at + width] = 1
    return pd.DataFrame({"value": values}), labels


@pytest.fixture(scope="module", params=["forecast", "autoencoder"])
def fitted(request):
    frame, labels = periodic_with_spike()
    detector = AnomalyDetector(method=request.param, lookback=24, model=TINY, epochs=8, learning_rate=0.01,
                               verbose=0, seed=0)
    return detector.fit(frame), frame, labels


def test_metrics_and_period_helpers():
    t = np.arange(500)
    assert dominant_period(np.sin(2 * np.pi * t / 50)[:, None]) == 50
    assert dominant_period(np.random.default_rng(0).normal(size=(500, 1))) == 1  # no cycle
    perfect = anomaly_metrics([0, 1, 0, 0], [0.0, 5.0, 1.0, np.nan])
    assert perfect == {"roc_auc": 1.0, "pr_auc": 1.0, "best_f1": 1.0, "n_scored": 3}
    with pytest.raises(DataError, match="one class"):
        anomaly_metrics([0, 0], [1.0, 2.0])
    # Labels as a CSV or a frame gives them are read; others are named, not cast to int (NaN became -2**63, 0.5 a 0).
    assert anomaly_metrics(["0", "1", "0", "0"], [0.0, 5.0, 1.0, 2.0]) == anomaly_metrics([False, True, 0.0, 0], [0.0, 5.0, 1.0, 2.0])
    for labels, message in (([0, 1, np.nan, 0], r"1 label\(s\) are missing \(NaN\), the first at step 2"),
                            ([0, 1, None, 0], "missing"),
                            ([0, 1, 0.5, 0], r"0 \(normal\) or 1 \(anomaly\); got 0.5\."),
                            (["normal", "spike", "normal", "normal"], "got normal, spike")):
        with pytest.raises(DataError, match=message):
            anomaly_metrics(labels, [0.0, 5.0, 1.0, 2.0])
    np.testing.assert_allclose(smooth_scores([0.0, 3.0, 0.0], 3), [1.5, 1.0, 1.5])


def test_baselines_find_an_obvious_spike():
    frame, labels = periodic_with_spike(width=1)  # a jump of the first differences marks one point
    assert anomaly_metrics(labels, rolling_zscore_scores(frame, 48))["roc_auc"] > 0.99
    forest = isolation_forest_scores(frame, 24)
    assert forest.shape == (len(frame),) and np.isfinite(forest).all()


def test_detector_scores_flags_and_beats_chance(fitted):
    detector, frame, labels = fitted
    assert detector.smooth_ == 24  # one cycle of the fit data
    scores = detector.score_samples(frame)
    assert scores.shape == (len(frame),)
    assert np.nanargmax(scores) in range(880, 925)  # the spike
    flags = detector.predict(frame)
    # The spike is flagged, and nothing far from it: the smoothing spreads its score over the next steps (whose
    # windows hold it), so which of its first steps cross the threshold depends on the seed.
    assert set(np.unique(flags)) <= {0, 1} and flags[900:903].sum() >= 2
    assert set(np.flatnonzero(flags)) <= set(range(880, 930))
    assert flags.mean() < 0.1  # the threshold is near the contamination quantile
    table = detector.evaluate(frame, labels)
    assert list(table.index) == ["detector", "rolling_zscore", "isolation_forest"]
    assert table.loc["detector", "roc_auc"] > 0.9
    assert table["n_scored"].nunique() == 1  # every method on the same steps
    assert detector.score(frame, labels) == table.loc["detector", "roc_auc"]  # score: one number


def test_window_is_the_deprecated_name_of_lookback():
    frame, _ = periodic_with_spike(n=300)
    with pytest.warns(DeprecationWarning, match="lookback="):
        detector = AnomalyDetector(window=8, model=TINY, epochs=1, verbose=0, seed=0).fit(frame)
    assert detector.lookback_ == 8 and detector.get_params()["window"] == 8


def test_score_without_labels_is_deprecated_and_still_per_step(fitted):
    detector, frame, _ = fitted
    with pytest.warns(DeprecationWarning, match="score_samples"):
        old = detector.score(frame)
    np.testing.assert_array_equal(old, detector.score_samples(frame))


def test_detector_bundle_round_trip(fitted, tmp_path):
    detector, frame, _ = fitted
    detector.save(tmp_path / "detector")
    loaded = AnomalyDetector.load(tmp_path / "detector")
    np.testing.assert_allclose(loaded.score_samples(frame), detector.score_samples(frame), atol=1e-6)
    assert loaded.threshold_ == detector.threshold_
    (tmp_path / "detector" / "model.keras").write_bytes(b"broken")
    with pytest.raises(BundleError):
        AnomalyDetector.load(tmp_path / "detector")


def test_multichannel_detector_scores_a_spike_in_either_channel():
    frame, labels = periodic_with_spike(n=600, spike_at=450)
    quiet, _ = periodic_with_spike(n=600, spike_at=0, width=0, seed=1)
    both = pd.DataFrame({"a": quiet["value"], "b": frame["value"]})
    detector = AnomalyDetector(lookback=24, model=TINY, epochs=4, learning_rate=0.01, smooth=1, verbose=0, seed=0)
    scores = detector.fit(both).score_samples(both)
    assert scores.shape == (600,)
    assert 449 <= int(np.nanargmax(scores)) <= 453  # the spike is in the second channel only (no score before a window)
    assert detector.evaluate(both, labels).loc["detector", "roc_auc"] > 0.8


def test_detector_bad_input():
    frame, _ = periodic_with_spike(n=300)
    with pytest.raises(DataError, match="NaN"):
        AnomalyDetector(lookback=8, epochs=1, verbose=0).fit(frame.assign(value=frame["value"].where(frame.index != 5)))
    with pytest.raises(DataError, match="at least 400"):
        AnomalyDetector(lookback=100, epochs=1, verbose=0).fit(frame)
    with pytest.raises(DataError, match="not numeric"):
        AnomalyDetector(lookback=8, epochs=1, verbose=0).fit(frame.assign(kind="a"))
    with pytest.raises(ConfigError, match="method"):
        AnomalyDetector(method="magic").fit(frame)
    # Rows out of time order, or a step twice, were scored as they came: the Forecaster refused them, the detector not.
    hourly = frame.set_index(pd.date_range("2024-01-01", periods=len(frame), freq="h"))
    with pytest.raises(DataError, match=r"Timestamps are not sorted: row 1 .* Sort the data by time first \(df.sort_index\(\)\)"):
        AnomalyDetector(lookback=8, epochs=1, verbose=0).fit(hourly.iloc[::-1])
    with pytest.raises(DataError, match=r"Duplicate timestamp 2024-01-01 00:00:00 at row 300 \(1 duplicates in all\)"):
        AnomalyDetector(lookback=8, epochs=1, verbose=0).fit(pd.concat([hourly, hourly.iloc[:1]]))
    # Refused before any training (the checks after the lookback's once never ran: a numpy error came after it).
    for bad, message in (({"contamination": 2.0}, r"`contamination` must be a fraction in \(0, 0.5\)"),
                         # Text ended in TypeError: '<' not supported between instances of 'int' and 'str'.
                         ({"contamination": "1%"}, r"`contamination` must be a fraction in \(0, 0.5\)\. Received: contamination='1%'"),
                         ({"validation": "0.1"}, r"`validation` must be a fraction in \[0, 1\)\. Received: validation='0.1'"),
                         ({"smooth": 0}, "`smooth` must be a positive integer or 'auto'"),
                         ({"validation": 1.5}, r"`validation` must be a fraction in \[0, 1\)")):
        with pytest.raises(ConfigError, match=message):
            AnomalyDetector(lookback=8, epochs=1, verbose=0, **bad).fit(frame)
    detector = AnomalyDetector(lookback=8, model=TINY, epochs=1, verbose=0, seed=0).fit(frame)
    with pytest.raises(DataError, match="fit on 1"):
        detector.score_samples(np.zeros((100, 2)))
    with pytest.raises(DataError, match="not sorted"):
        detector.predict(frame.iloc[::-1])
    # Two signals joined without ignore_index number their rows twice: the fix for rows in order is named too.
    with pytest.raises(DataError, match=r"Duplicate timestamp 0 at row 300.*renumber them \(df.reset_index\(drop=True\)\)"):
        detector.predict(pd.concat([frame, frame]))
    with pytest.raises(DataError, match="one label per row"):
        detector.evaluate(frame, np.zeros(10))
    for window in (0, -3, 2.5):  # 0 was taken as the detector's window; -3 ended in pandas' ValueError
        with pytest.raises(ConfigError, match=rf"`window` must be a positive integer or None \(the detector's\)\. Received: window={window}"):
            detector.evaluate(frame, np.zeros(len(frame)), window=window)
    # Labels of pandas are paired with the data's rows by index: a shuffled Series was paired by position.
    labels = pd.Series(np.r_[np.zeros(len(frame) - 1), 1.0], index=frame.index)
    np.testing.assert_array_equal(detector.evaluate(frame, labels), detector.evaluate(frame, labels.to_numpy()))
    for method in (detector.evaluate, detector.score):
        with pytest.raises(DataError, match=r"labels' index is not the data's.*labels.reindex\(data.index\)"):
            method(frame, labels.iloc[::-1])


def test_a_frame_is_scored_by_its_column_names():
    frame, _ = periodic_with_spike(n=300)
    both = pd.DataFrame({"a": frame["value"], "b": frame["value"].to_numpy()[::-1]})
    detector = AnomalyDetector(lookback=8, model=TINY, epochs=1, verbose=0, seed=0).fit(both)
    with pytest.raises(DataError, match=r"columns \['a', 'c'\] are not those the detector was fit on \['a', 'b'\].*df\[\['a', 'b'\]\]"):
        detector.score_samples(both.rename(columns={"b": "c"}))
    # the same columns in another order are read in the fit's order
    np.testing.assert_array_equal(detector.score_samples(both[["b", "a"]]), detector.score_samples(both))
    # a detector fit on an array reads any frame's columns by position, as before
    unnamed = AnomalyDetector(lookback=8, model=TINY, epochs=1, verbose=0, seed=0).fit(both.to_numpy())
    np.testing.assert_array_equal(unnamed.score_samples(both.rename(columns={"b": "c"})), unnamed.score_samples(both.to_numpy()))


def test_the_signal_helpers_are_still_importable_from_the_anomaly_module():
    from lstm_toolkit.sequences import anomaly, signals

    for name in ("as_signal", "dominant_period", "smooth_scores", "rolling_zscore_scores", "isolation_forest_scores"):
        assert getattr(anomaly, name) is getattr(signals, name), name


@pytest.mark.parametrize("method", ["forecast", "autoencoder"])
def test_the_seed_alone_decides_the_detector_whatever_the_process_drew_before(method):
    frame, _ = periodic_with_spike(n=300)
    scores = []
    for state in (1, 2):  # another fit, or any other draw, left the global random state elsewhere
        keras.utils.set_random_seed(state)
        np.asarray(keras.random.normal((64,)))
        detector = AnomalyDetector(method=method, lookback=16, model=TINY, epochs=1, verbose=0, seed=0).fit(frame)
        scores.append(detector.score_samples(frame))
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-5, atol=1e-6)  # the autoencoder drew its weights unseeded
