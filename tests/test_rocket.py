"""MiniRocket: the features layer, its fit, and the default SequenceClassifier built on it."""

import warnings

import numpy as np
import pytest

import lstm_toolkit
from lstm_toolkit import ModelConfig
from lstm_toolkit.cli import main
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.models import MiniRocketFeatures, build_model, build_sequence_classifier
from lstm_toolkit.models.rocket import N_KERNELS, fit_dilations, fit_minirocket, kernel_weights
from lstm_toolkit.sequences.classifier import DEFAULT_CLASSIFIER, SequenceClassifier
from lstm_toolkit.sequences.labeller import SequenceLabeller

MINIROCKET = ModelConfig(architecture="minirocket", window_norm="none")


def shapes(n=60, seed=0):
    """Univariate sequences of 40-80 steps: a slow sine (class "sine") or a square wave (class "square"), with noise.

    The two have the same mean and about the same variance, so only their shape tells them apart.
    """
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(n):
        length, phase, period = int(rng.integers(40, 81)), rng.uniform(0, 2 * np.pi), rng.uniform(12, 20)
        wave = np.sin(2 * np.pi * np.arange(length) / period + phase)
        label = ("sine", "square")[k % 2]
        values = wave if label == "sine" else np.sign(wave)
        X.append((values + rng.normal(scale=0.3, size=length))[:, None])
        y.append(label)
    return X, np.array(y)


@pytest.mark.parametrize("length", [3, 9, 24, 251, 427, 5000])
def test_dilations_span_the_length_and_give_every_kernel_its_features(length):
    dilations, per_dilation = fit_dilations(length)
    assert dilations[0] == 1 and dilations == sorted(set(dilations))
    assert 8 * dilations[-1] <= max(length - 1, 8)  # the widest kernel fits in the sequence
    assert sum(per_dilation) == 10_000 // N_KERNELS and min(per_dilation) >= 1


def test_each_kernel_has_three_taps_of_two_and_sums_to_zero():
    weights = kernel_weights()
    assert weights.shape == (9, N_KERNELS)
    np.testing.assert_array_equal((weights == 2).sum(axis=0), 3)
    np.testing.assert_array_equal(weights.sum(axis=0), 0)
    assert len({tuple(column) for column in weights.T}) == N_KERNELS  # 84 different kernels


@pytest.mark.parametrize("channels", [1, 3])
def test_features_are_proportions_that_end_padding_cannot_change(channels):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 30, channels)).astype("float32")
    layer = MiniRocketFeatures(channels, *fit_dilations(30), name="minirocket")
    layer.fit_biases(x, np.random.default_rng(0))
    short = x[:, :19]
    padded = np.concatenate([short, np.zeros((4, 11, channels), "float32")], axis=1)
    features = np.asarray(layer(short))
    assert features.shape == (4, layer.n_features) and features.min() >= 0 and features.max() <= 1
    assert 0.05 < features.mean() < 0.95  # biases drawn from the data's own convolutions: not all above or below
    np.testing.assert_allclose(np.asarray(layer(padded)), features, atol=1e-6)


def test_biases_lie_within_the_convolutions_they_were_drawn_from():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 40, 1)).astype("float32")
    layer = MiniRocketFeatures(1, *fit_dilations(40))
    layer.fit_biases(x, np.random.default_rng(0))
    for index in range(len(layer.dilations)):
        convolved = np.asarray(layer.convolve(x, index))
        biases = np.asarray(layer.biases[index])
        assert np.all(biases >= convolved.min(axis=(0, 1))[:, None]) and np.all(biases <= convolved.max(axis=(0, 1))[:, None])


def test_the_default_classifier_is_minirocket_and_tells_shapes_apart_in_closed_form():
    X, y = shapes(80)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the defaults fit without a warning
        clf = SequenceClassifier(seed=0).fit(X[:60], y[:60])
    assert SequenceClassifier.DEFAULT_MODEL == DEFAULT_CLASSIFIER and DEFAULT_CLASSIFIER.architecture == "minirocket"
    assert isinstance(clf.model_.get_layer("minirocket"), MiniRocketFeatures)
    assert set(clf.history_) == {"alpha", "temperature", "oof_accuracy", "oof_log_loss"}
    assert all(len(values) == 1 for values in clf.history_.values())  # no epochs: one fit
    assert clf.score(X[60:], y[60:]) >= 0.9
    probabilities = clf.predict_proba(X[60:])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert 0.0 < clf.history_["temperature"][0] <= 20.0


def test_training_settings_that_minirocket_cannot_use_warn_by_name():
    X, y = shapes(20)
    with pytest.warns(UserWarning, match=r"epochs, learning_rate do not apply.*LSTM_FCN_CLASSIFIER") as caught:
        SequenceClassifier(seed=0, epochs=5, learning_rate=0.01).fit(X, y)
    assert not any("batch_size" in str(w.message) for w in caught)


def test_minirocket_multiclass_multichannel_short_sequences_and_validation():
    rng = np.random.default_rng(3)
    y = np.array([k % 3 for k in range(45)])
    X = [rng.normal(size=(int(rng.integers(5, 12)), 2)) + np.array([label, -label]) for label in y]  # some shorter than 9
    clf = SequenceClassifier(seed=0, validation=0.2).fit(X, y)
    assert clf.predict_proba(X).shape == (45, 3) and clf.score(X, y) >= 0.9
    assert 0.0 <= clf.history_["val_accuracy"][0] <= 1.0 and clf.history_["val_loss"][0] >= 0.0


def test_balanced_class_weights_move_the_ridge_toward_the_rare_class():
    X, y = shapes(70, seed=4)
    keep = [k for k in range(70) if y[k] == "sine" or k % 7 == 1]  # few squares
    X, y = [X[k] for k in keep], y[keep]
    plain = SequenceClassifier(seed=0).fit(X, y)
    balanced = SequenceClassifier(seed=0, class_weight="balanced").fit(X, y)
    rare = list(plain.classes_).index("square")
    assert balanced.predict_proba(X)[:, rare].mean() > plain.predict_proba(X)[:, rare].mean()


def test_the_same_seed_gives_the_same_classifier_and_another_seed_other_biases():
    X, y = shapes(30, seed=5)
    first, again, other = (SequenceClassifier(seed=s).fit(X, y) for s in (0, 0, 1))
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    assert not np.array_equal(first.model_.get_layer("minirocket").biases[0], other.model_.get_layer("minirocket").biases[0])


def test_a_minirocket_bundle_round_trips_and_reads_longer_sequences(tmp_path):
    X, y = shapes(40, seed=6)
    clf = SequenceClassifier(seed=0).fit(X, y)
    clf.save(tmp_path / "clf")
    loaded = lstm_toolkit.load(tmp_path / "clf")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    longer = [np.tile(x, (3, 1)) for x in X[:4]]
    assert loaded.predict_proba(longer).shape == (4, 2)


def test_biases_of_long_sequences_are_drawn_a_few_cases_at_a_time_with_the_same_result(monkeypatch):
    from lstm_toolkit.models import rocket

    x = np.random.default_rng(3).normal(size=(6, 50, 2)).astype("float32")
    at_once = MiniRocketFeatures(2, *fit_dilations(50)).fit_biases(x, np.random.default_rng(0))
    monkeypatch.setattr(rocket, "FEATURE_FRAMES", 120)  # two cases of 50 steps per convolution
    in_groups = MiniRocketFeatures(2, *fit_dilations(50)).fit_biases(x, np.random.default_rng(0))
    for whole, grouped in zip(at_once.biases, in_groups.biases):
        np.testing.assert_allclose(np.asarray(grouped), np.asarray(whole), atol=1e-6)


def test_long_sequences_are_predicted_in_small_batches_with_the_same_result():
    from lstm_toolkit.models.rocket import rocket_features
    from lstm_toolkit.data.sequences import frames_batch_size

    assert frames_batch_size(20_000, 256) == 1 and frames_batch_size(128, 256) == 256 and frames_batch_size(0, 256) == 256
    X, y = shapes(20, seed=9)
    clf = SequenceClassifier(seed=0).fit(X, y)
    long = [np.tile(x, (40, 1)) for x in X[:3]]  # 1,600-3,200 steps
    padded = np.zeros((3, max(map(len, long)), 1), "float32")
    for k, x in enumerate(long):
        padded[k, : len(x)] = x
    np.testing.assert_allclose(rocket_features(clf.model_, padded), rocket_features(clf.model_, padded, batch_size=3),
                               atol=1e-6)
    assert clf.predict_proba(long).shape == (3, 2)


def test_minirocket_is_refused_where_it_cannot_work():
    with pytest.raises(ConfigError, match="label every step"):
        X = [np.random.default_rng(k).normal(size=(12, 1)) for k in range(4)]
        SequenceLabeller(model=MINIROCKET, epochs=1, verbose=0).fit(X, [np.array([0, 1] * 6)] * 4)
    with pytest.raises(ConfigError, match="members=1"):
        build_sequence_classifier(ModelConfig(architecture="minirocket", members=3), 1, 2, length=20)
    with pytest.raises(ConfigError, match="give `length`"):
        build_sequence_classifier(MINIROCKET, 1, 2)
    with pytest.raises(ConfigError, match="SequenceClassifier"):
        build_model(MINIROCKET, lookback=12, n_features=1)


def test_a_class_of_one_case_keeps_temperature_one():
    X, y = shapes(21, seed=7)
    y = y.copy()
    y[0] = "odd"  # one case of its class: no stratified folds to fit a temperature on
    model = build_sequence_classifier(MINIROCKET, 1, 3, length=80)
    x = np.zeros((21, 80, 1), "float32")
    for k, s in enumerate(X):
        x[k, : len(s)] = s
    history = fit_minirocket(model, x, np.unique(y, return_inverse=True)[1], seed=0)
    assert history["temperature"] == [1.0] and np.isnan(history["oof_accuracy"][0])


def test_cli_classify_fits_minirocket_by_default_and_label_refuses_it(tmp_path, capsys):
    import pandas as pd

    X, y = shapes(30, seed=8)
    rows = [{"case": k, "t": t, "x": float(v), "shape": y[k]} for k, x in enumerate(X) for t, v in enumerate(x[:, 0])]
    pd.DataFrame(rows).to_csv(tmp_path / "shapes.csv", index=False)
    out = tmp_path / "clf"
    assert main(["classify", "fit", "--csv", str(tmp_path / "shapes.csv"), "--case-col", "case", "--label", "shape",
                 "--time-col", "t", "--seed", "0", "--out", str(out)]) == 0
    assert isinstance(lstm_toolkit.load(out).model_.get_layer("minirocket"), MiniRocketFeatures)
    assert main(["label", "fit", "--csv", str(tmp_path / "shapes.csv"), "--case-col", "case", "--label", "shape",
                 "--time-col", "t", "--architecture", "minirocket", "--out", str(tmp_path / "labeller")]) == 2
    assert "label every step" in capsys.readouterr().err
