"""SequenceClassifier and SequenceLabeller: inputs, masking, labels, bundles, bad input."""

import numpy as np
import pandas as pd
import pytest

from lstm_toolkit import FCNConfig, ModelConfig
from lstm_toolkit.data.sequences import as_sequences, pad
from lstm_toolkit.datasets import load, speaker_turns
from lstm_toolkit.errors import BundleError, ConfigError, DataError
from lstm_toolkit.models import build_sequence_classifier
from lstm_toolkit.sequences.classifier import SequenceClassifier
from lstm_toolkit.sequences.estimator import LabelCodec
from lstm_toolkit.sequences.labeller import SequenceLabeller, segment_scores, segments

TINY = ModelConfig(units=(8,), bidirectional=True, window_norm="none")


def separable(n=60, seed=0, labels=("low", "high")):
    """Variable-length 2-channel sequences whose class shifts their mean."""
    rng = np.random.default_rng(seed)
    y = np.array([labels[k % len(labels)] for k in range(n)], dtype=object)
    X = [rng.normal(size=(int(rng.integers(4, 15)), 2)) + 2.0 * labels.index(label) for label in y]
    return X, y


@pytest.fixture(scope="module")
def vowels():
    frame = load("japanese_vowels")
    return frame[frame["split"] == "train"], frame[frame["split"] == "test"]


@pytest.fixture(scope="module")
def fitted_classifier():
    X, y = separable()
    return SequenceClassifier(model=TINY, epochs=25, verbose=0, seed=0).fit(X, y), X, y


# --- reading sequences ---------------------------------------------------------------


def test_three_input_forms_give_the_same_sequences(vowels):
    train, _ = vowels
    from_frame, ids, features = as_sequences(train, case_col="case", time_col="frame", exclude=("speaker",))
    assert features == tuple(f"lpc{k}" for k in range(1, 13))  # split (text) and speaker (label) are not inputs
    assert len(from_frame) == 270 and sorted({len(s) for s in from_frame})[0] >= 7
    from_list, _, _ = as_sequences(from_frame)
    np.testing.assert_array_equal(from_list[5], from_frame[5])
    same_length = [s[:7] for s in from_frame]
    from_array, _, _ = as_sequences(np.stack(same_length))
    np.testing.assert_array_equal(from_array[3], same_length[3])
    shuffled = train.sample(frac=1.0, random_state=0)
    reordered, shuffled_ids, _ = as_sequences(shuffled, case_col="case", time_col="frame", exclude=("speaker",))
    position = shuffled_ids.index(ids[0])
    np.testing.assert_array_equal(reordered[position], from_frame[0])  # frames are put back in order


@pytest.mark.parametrize(
    "sequences, message",
    [
        ([np.zeros((3, 2)), np.zeros((0, 2))], "length 0. Drop the empty sequences: each needs at least one step"),
        ([np.zeros((3, 2)), np.zeros((4, 3))], "channels"),
        ([np.array([[1.0, np.nan]])], "NaN"),
        (np.zeros((3, 4)), "3-D"),
        ("abc", "3-D array, a list"),
    ],
)
def test_bad_sequences_are_named(sequences, message):
    with pytest.raises(DataError, match=message):
        as_sequences(sequences)


def test_duplicate_frames_and_missing_case_column_are_refused():
    frame = pd.DataFrame({"case": [0, 0, 1], "t": [0, 0, 0], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="duplicate 't'"):
        as_sequences(frame, case_col="case", time_col="t")
    with pytest.raises(DataError, match="case_col"):
        as_sequences(frame)
    with pytest.raises(DataError, match="not a column"):
        as_sequences(frame, case_col="id")


def test_padding_is_masked_so_it_cannot_change_a_prediction():
    model = build_sequence_classifier(TINY, n_features=2, n_classes=3)
    short = np.random.default_rng(0).normal(size=(5, 2))
    alone, _ = pad([short])
    padded, lengths = pad([short, np.ones((12, 2))])
    assert lengths.tolist() == [5, 12] and padded.shape == (2, 12, 2)
    np.testing.assert_allclose(model(alone).numpy()[0], model(padded).numpy()[0], atol=1e-6)


def test_label_codec_keeps_labels_and_names_unseen_ones():
    codec = LabelCodec.fit(np.array(["b", "a", "b"], dtype=object))
    assert codec.classes_.tolist() == ["a", "b"]
    with pytest.raises(DataError, match=r"\['z'\]"):
        codec.encode(["a", "z"])
    with pytest.raises(DataError, match="one class"):
        LabelCodec.fit(["a", "a"])
    with pytest.raises(DataError, match=r"Only one class \(3\) in"):  # as the user wrote it, not np.int64(3)
        LabelCodec.fit(np.array([3, 3]))
    with pytest.raises(DataError, match="missing"):
        LabelCodec.fit(["a", None, "b"])
    assert LabelCodec.fit([1.0, 2.0, 1.0]).classes_.tolist() == [1, 2]


# --- SequenceClassifier --------------------------------------------------------------------


def test_classifier_learns_a_separable_problem_and_keeps_string_labels(fitted_classifier):
    clf, X, y = fitted_classifier
    X_test, y_test = separable(seed=1)
    assert clf.classes_.tolist() == ["high", "low"]
    probabilities = clf.predict_proba(X_test)
    assert probabilities.shape == (60, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert set(clf.predict(X_test)) <= {"high", "low"}
    assert clf.score(X_test, y_test) >= 0.9
    assert clf.model_.layers[-1].activation.__name__ == "sigmoid"  # binary: one sigmoid output


def test_multiclass_uses_softmax_and_the_long_frame_form(vowels):
    train, test = vowels
    small = train[train["case"] % 3 == 0]
    clf = SequenceClassifier(model=TINY, epochs=3, verbose=0, seed=0)
    clf.fit(small, "speaker", case_col="case", time_col="frame")
    assert clf.classes_.tolist() == list(range(1, 10))
    assert clf.model_.layers[-1].activation.__name__ == "softmax"
    proba = clf.predict_proba(test)
    assert proba.shape == (test["case"].nunique(), 9)
    assert 0.0 <= clf.score(test, "speaker") <= 1.0
    unseen = test.assign(speaker=test["speaker"].where(test["case"] != test["case"].iloc[0], 42))
    with pytest.raises(DataError, match="42"):
        clf.score(unseen, "speaker")
    # Fit on a long frame, the same sequences as arrays were refused: "`case_col` and `time_col` apply to a long
    # DataFrame", about columns predict does not take.
    arrays, _, _ = as_sequences(test, "case", "frame", list(clf.features_), exclude=("speaker",))
    np.testing.assert_allclose(clf.predict_proba(arrays), proba, atol=1e-6)


def test_a_validation_that_is_not_a_fraction_is_named_before_training():
    X, Y = speaker_turns("train", seed=0)
    # Text ended in TypeError: '<=' not supported between instances of 'int' and 'str'.
    for estimator, labels in ((SequenceClassifier(validation="0.2", verbose=0), [y[0] for y in Y[:6]]),
                              (SequenceLabeller(validation="0.2", verbose=0), Y[:6])):
        with pytest.raises(ConfigError, match=r"`validation` must be a fraction in \[0, 1\)\. Received: validation='0.2'"):
            estimator.fit(X[:6], labels)


def test_an_estimator_fit_on_arrays_names_a_long_frame_it_cannot_read():
    X, Y = speaker_turns("train", seed=0)
    labeller = SequenceLabeller(model=TINY, epochs=1, verbose=0, seed=0).fit(X[:4], Y[:4])
    long = pd.DataFrame(np.concatenate(X[:2]), columns=[f"x{k}" for k in range(X[0].shape[1])])
    with pytest.raises(DataError, match=r"fit on sequences given as arrays, with no case column.*pass a 3-D array"):
        labeller.predict(long.assign(case=np.repeat([0, 1], [len(X[0]), len(X[1])])))


def test_balanced_class_weights_change_the_training(fitted_classifier):
    _, X, y = fitted_classifier
    imbalanced_X, imbalanced_y = X[:40] + X[40:41], np.concatenate([y[:40], y[40:41]])
    plain = SequenceClassifier(model=TINY, epochs=2, verbose=0, seed=0, validation=0).fit(imbalanced_X, imbalanced_y)
    weighted = SequenceClassifier(model=TINY, epochs=2, verbose=0, seed=0, validation=0, class_weight="balanced")
    weighted.fit(imbalanced_X, imbalanced_y)
    assert plain.history_["loss"] != weighted.history_["loss"]
    classes = sorted(set(imbalanced_y))
    by_dict = SequenceClassifier(model=TINY, epochs=2, verbose=0, seed=0, validation=0,
                                 class_weight={classes[0]: 1.0, classes[1]: 40.0}).fit(imbalanced_X, imbalanced_y)
    assert by_dict.history_["loss"] not in (plain.history_["loss"], weighted.history_["loss"])
    with pytest.raises(ConfigError, match="class_weight"):
        SequenceClassifier(class_weight="heavy", epochs=1, verbose=0).fit(X, y)


@pytest.mark.parametrize("cell, bidirectional", [("gru", False), ("lstm", False)])
def test_factory_variants_train(cell, bidirectional):
    X, y = separable(n=30)
    config = ModelConfig(units=(6, 6), cell=cell, bidirectional=bidirectional, window_norm="none")
    clf = SequenceClassifier(model=config, epochs=2, verbose=0, seed=0).fit(X, y)
    assert clf.predict_proba(X).shape == (30, 2)


def test_classifier_bad_labels():
    X, y = separable(n=20)
    with pytest.raises(DataError, match="one label per sequence"):
        SequenceClassifier(epochs=1, verbose=0).fit(X, y[:-1])
    with pytest.raises(DataError, match="one class"):
        SequenceClassifier(epochs=1, verbose=0).fit(X, ["a"] * 20)
    frame = pd.DataFrame({"case": [0, 0, 1, 1], "x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "a", "a"]})
    with pytest.raises(DataError, match="changes within case"):
        SequenceClassifier(epochs=1, verbose=0).fit(frame, "y", case_col="case")
    unlabelled = pd.DataFrame({"case": [0, 0, 1, 1, 2], "x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": ["a", "a", None, None, "b"]})
    with pytest.raises(DataError, match=r"missing in 'y' for case\(s\) \[1\]"):
        SequenceClassifier(epochs=1, verbose=0).fit(unlabelled, "y", case_col="case")
    partly = unlabelled.assign(y=["a", None, "b", "b", "b"])  # case 0 labelled on one row of two: missing, not changing
    with pytest.raises(DataError, match=r"missing in 'y' for case\(s\) \[0\]\. Label every case, on each of its rows"):
        SequenceClassifier(epochs=1, verbose=0).fit(partly, "y", case_col="case")


def test_wrong_channel_count_at_predict(fitted_classifier):
    clf, _, _ = fitted_classifier
    with pytest.raises(DataError, match="fit on 2"):
        clf.predict([np.zeros((5, 3))])


def test_classifier_bundle_round_trip(fitted_classifier, tmp_path):
    clf, X, _ = fitted_classifier
    clf.save(tmp_path / "clf")
    loaded = SequenceClassifier.load(tmp_path / "clf")
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-6)
    assert loaded.classes_.tolist() == clf.classes_.tolist()
    assert loaded.class_counts_ == clf.class_counts_  # the training prior `evaluate` compares with
    (tmp_path / "clf" / "estimator.json").write_text("{}")
    with pytest.raises(BundleError, match="checksum"):
        SequenceClassifier.load(tmp_path / "clf")
    with pytest.raises(BundleError, match="not a SequenceLabeller"):
        clf.save(tmp_path / "again")
        SequenceLabeller.load(tmp_path / "again")


def test_evaluate_puts_the_model_beside_the_training_prior(fitted_classifier):
    clf, _, _ = fitted_classifier
    rng = np.random.default_rng(3)
    y = np.array(["low"] * 20 + ["high"] * 10, dtype=object)  # unlike the training cases' 30 and 30
    X = [rng.normal(size=(int(rng.integers(4, 15)), 2)) + 2.0 * (label == "high") for label in y]
    table = clf.evaluate(X, y)
    assert list(table.index) == ["model", "prior"]
    assert list(table.columns) == ["accuracy", "balanced_accuracy", "macro_f1", "log_loss", "n_sequences"]
    assert table.loc["model", "accuracy"] == pytest.approx(clf.score(X, y))
    assert table.loc["model", "accuracy"] > 0.9 and table.loc["model", "log_loss"] < table.loc["prior", "log_loss"]
    # The prior forecasts the training cases' shares: one label for every sequence (the first of a tie), so its
    # balanced accuracy is one half, and its log loss is that of those shares.
    assert dict(zip(clf.classes_.tolist(), clf.class_counts_)) == {"high": 30, "low": 30}
    majority = clf.classes_[int(np.argmax(clf.class_counts_))]
    assert table.loc["prior", "accuracy"] == pytest.approx(np.mean(y == majority))
    assert table.loc["prior", "balanced_accuracy"] == pytest.approx(0.5)
    assert table.loc["prior", "log_loss"] == pytest.approx(np.log(2.0))
    counts = clf.class_counts_
    clf.class_counts_ = None  # as a bundle saved before the shares were kept loads it
    try:
        assert clf.evaluate(X, y).loc["prior"].isna().all()
    finally:
        clf.class_counts_ = counts


# --- SequenceLabeller ------------------------------------------------------------------------


def test_segments_and_ner_style_scores():
    assert segments([1, 1, 2, 1]) == [(0, 2, 1), (2, 3, 2), (3, 4, 1)]
    assert segments([]) == []
    exact = segment_scores([[0, 0, 1, 1]], [[0, 0, 1, 1]])
    assert exact["f1"] == 1.0
    shifted = segment_scores([[0, 0, 1, 1]], [[0, 1, 1, 1]])  # both boundaries of segment 1 wrong, ...
    assert shifted["precision"] == 0.0 and shifted["recall"] == 0.0  # ... and segment 0's end too
    half = segment_scores([[0, 0, 1, 1, 2]], [[0, 0, 1, 1, 1]])
    assert half["precision"] == 0.5 and half["recall"] == pytest.approx(1 / 3)  # only (0, 2, 0) matches
    # One sequence's labels where a list of them is taken, and the reverse, ended in TypeError and ValueError.
    assert segments(np.array([[1], [1], [2]])) == [(0, 2, 1), (2, 3, 2)]  # a column of labels
    with pytest.raises(DataError, match=r"one sequence, one per step; received shape \(2, 2\).*segment_scores"):
        segments([["a", "b"], ["a", "b"]])
    with pytest.raises(DataError, match=r"Item 0 of `true` is the single label 'a'.*For one sequence pass \[labels\]"):
        segment_scores(["a", "a", "b"], ["a", "b", "b"])


def test_speaker_turns_are_seeded_and_alternate():
    X, Y = speaker_turns("train", seed=3)
    X2, Y2 = speaker_turns("train", seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(Y, Y2))
    assert sum(len(x) for x in X) == (load("japanese_vowels")["split"] == "train").sum()  # each utterance once
    for labels in Y:
        runs = segments(labels)
        assert all(a[2] != b[2] for a, b in zip(runs, runs[1:]))  # neighbouring turns: different speakers
    with pytest.raises(ConfigError):
        speaker_turns("dev")


def test_labeller_labels_every_step_and_ignores_padding():
    rng = np.random.default_rng(0)
    Y = [np.repeat(["rest", "move", "rest"], rng.integers(3, 8, 3)) for _ in range(40)]
    X = [rng.normal(scale=0.3, size=(len(y), 1)) + 2.0 * (y == "move")[:, None] for y in Y]
    labeller = SequenceLabeller(model=TINY, epochs=30, learning_rate=0.01, verbose=0, seed=0).fit(X, Y)
    predicted = labeller.predict(X[:5])
    assert [len(p) for p in predicted] == [len(y) for y in Y[:5]]
    probabilities = labeller.predict_proba(X[:5])
    np.testing.assert_allclose(probabilities[0].sum(axis=1), 1.0, atol=1e-6)
    report = labeller.evaluate(X, Y)
    assert list(report.index) == ["model", "prior"] and list(report.columns) == [
        "accuracy", "precision", "recall", "f1", "true_segments", "predicted_segments"]
    assert report.loc["model", "accuracy"] >= 0.9 and 0.0 <= report.loc["model", "f1"] <= 1.0
    # The prior labels every step with the training steps' most frequent label ("rest" here): one segment a sequence.
    # Its counts are the training sequences' (the validation tenth left out).
    steps = np.concatenate(Y)
    assert labeller.classes_[int(np.argmax(labeller.class_counts_))] == "rest"
    assert 0.8 * len(steps) < sum(labeller.class_counts_) < len(steps)
    assert report.loc["prior", "accuracy"] == pytest.approx(np.mean(steps == "rest"))
    assert report.loc["prior", "predicted_segments"] == len(Y) and report.loc["prior", "precision"] == 0.0
    assert labeller.score(X, Y) == report.loc["model", "accuracy"] and isinstance(labeller.score(X, Y), float)
    table = labeller.predict_segments(X[:2])
    assert list(table.columns) == ["sequence", "start", "end", "label"]
    assert table.groupby("sequence")["end"].max().tolist() == [len(Y[0]), len(Y[1])]
    with pytest.raises(DataError, match="label every step"):
        labeller.fit(X, [y[:-1] for y in Y])


def test_labeller_bundle_round_trip(tmp_path):
    X, Y = speaker_turns("train", seed=0)
    labeller = SequenceLabeller(model=TINY, epochs=1, verbose=0, seed=0).fit(X[:10], Y[:10])
    labeller.save(tmp_path / "labeller")
    loaded = SequenceLabeller.load(tmp_path / "labeller")
    for a, b in zip(loaded.predict_proba(X[:3]), labeller.predict_proba(X[:3])):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_estimators_follow_scikit_learn_parameter_conventions():
    from sklearn.base import clone

    from lstm_toolkit.sequences.anomaly import AnomalyDetector

    for estimator in (SequenceClassifier(epochs=3, seed=1), SequenceLabeller(class_weight="balanced"),
                      AnomalyDetector(method="autoencoder")):
        copy = clone(estimator)
        assert copy.get_params() == estimator.get_params() and copy is not estimator
    assert repr(SequenceClassifier(epochs=3, seed=1)) == "SequenceClassifier(epochs=3, seed=1)"
    assert SequenceClassifier().set_params(epochs=7).epochs == 7
    with pytest.raises(ConfigError, match="Unknown parameter"):
        SequenceClassifier().set_params(epoch=7)


def test_the_labeller_takes_class_weights_as_the_classifier_does():
    rng = np.random.default_rng(0)
    Y = [np.repeat([0, 1, 0], rng.integers(3, 6, 3)) for _ in range(12)]
    X = [rng.normal(size=(len(y), 1)) + y[:, None] for y in Y]
    settings = dict(model=TINY, epochs=1, verbose=0, seed=0, validation=0)
    plain = SequenceLabeller(**settings).fit(X, Y)
    by_dict = SequenceLabeller(class_weight={1: 10.0}, **settings).fit(X, Y)
    assert by_dict.history_["loss"][0] != plain.history_["loss"][0]
    with pytest.raises(DataError, match="not among the classes"):
        SequenceLabeller(class_weight={7: 2.0}, **settings).fit(X, Y)
    with pytest.raises(ConfigError, match="class_weight"):
        SequenceLabeller(class_weight="heavy", **settings).fit(X, Y)


# --- LSTM-FCN ------------------------------------------------------------------------------

FCN_TINY = ModelConfig(architecture="lstm_fcn", units=(4,), fcn=FCNConfig(filters=(4, 8, 4), kernel_sizes=(5, 3, 3)),
                       window_norm="none")


@pytest.mark.parametrize("architecture, squeeze_excite", [("lstm_fcn", False), ("lstm_fcn", True), ("fcn", False)])
def test_fcn_classifiers_ignore_end_padding_in_training_and_inference(architecture, squeeze_excite):
    """Padding is exact: zeroed after every block, left out of batch-norm moments and of the pooled mean."""
    import dataclasses

    config = dataclasses.replace(FCN_TINY, architecture=architecture,
                                 fcn=dataclasses.replace(FCN_TINY.fcn, squeeze_excite=squeeze_excite))
    model = build_sequence_classifier(config, n_features=2, n_classes=3, length=9)
    rng = np.random.default_rng(0)
    sequences = [rng.normal(size=(n, 2)) for n in (5, 9, 7)]
    tight, _ = pad(sequences)
    loose, _ = pad(sequences, length=16)
    for training in (False, True):  # training=True: batch statistics, computed on real steps only
        np.testing.assert_allclose(model(tight, training=training).numpy(), model(loose, training=training).numpy(),
                                   atol=1e-5)
    assert model.layers[-1].activation.__name__ == "softmax"
    longer = pad([rng.normal(size=(20, 2))])[0]  # longer than `length`: the LSTM branch reads its first 9 steps
    assert model(longer).shape == (1, 3)


def test_lstm_fcn_needs_its_has_fixed_length_branch_and_forecasters_refuse_it():
    from lstm_toolkit.models import build_fcn_classifier, build_model

    with pytest.raises(ConfigError, match="fixed length"):
        build_fcn_classifier(FCN_TINY, n_features=1, n_classes=2)
    with pytest.raises(ConfigError, match="same, non-zero length"):
        build_fcn_classifier(ModelConfig(architecture="fcn", fcn=FCNConfig(filters=(4, 4), kernel_sizes=(3,))), n_features=1,
                             n_classes=2)
    with pytest.raises(ConfigError, match="classifies whole sequences"):
        build_model(FCN_TINY, lookback=8, n_features=1)
    with pytest.raises(ConfigError, match="architecture"):
        ModelConfig(architecture="resnet")


def test_lstm_fcn_classifier_fits_saves_and_reads_longer_sequences(tmp_path):
    X, y = separable(n=40)
    clf = SequenceClassifier(model=FCN_TINY, epochs=30, verbose=0, seed=0).fit(X, y)
    X_test, y_test = separable(seed=1)
    assert clf.score(X_test, y_test) >= 0.9
    longer = [np.concatenate([x, x, x]) for x in X_test[:5]]  # past the longest training sequence
    assert clf.predict_proba(longer).shape == (5, 2)
    clf.save(tmp_path / "fcn")
    loaded = SequenceClassifier.load(tmp_path / "fcn")  # safe_mode=True: the custom layers are registered
    np.testing.assert_array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
    assert loaded.model_.get_layer("dimension_shuffle") is not None


def test_a_collapsed_classifier_warns():
    """Inputs that do not tell the classes apart leave only the class rates to learn: the fit says so."""
    from lstm_toolkit.errors import CollapsedClassifierWarning

    rng = np.random.default_rng(0)
    same = rng.normal(size=(12, 1))
    X, y = [same.copy() for _ in range(20)], ["common"] * 15 + ["rare"] * 5
    with pytest.warns(CollapsedClassifierWarning, match="predicts '(common|rare)' for all 20 training cases"):
        SequenceClassifier(model=FCN_TINY, epochs=5, verbose=0, seed=0).fit(X, y)
    separable_X, separable_y = separable(n=40)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapsedClassifierWarning)
        SequenceClassifier(model=FCN_TINY, epochs=30, verbose=0, seed=0).fit(separable_X, separable_y)


def test_auto_epochs_follow_the_number_of_cases(monkeypatch):
    from lstm_toolkit.sequences import classifier as classification
    from lstm_toolkit.sequences.classifier import AUTO_EPOCHS, STEP_BUDGET, auto_epochs

    X, y = separable(n=20)
    assert auto_epochs(36, 16) == min(AUTO_EPOCHS[1], -(-STEP_BUDGET // 3))  # 3 batches of 16 per epoch
    assert auto_epochs(10**6, 16) == AUTO_EPOCHS[0] and auto_epochs(1, 1) == AUTO_EPOCHS[1]
    assert auto_epochs(200, 16, n_frames=200 * 427) == -(-classification.FRAME_BUDGET // (200 * 427))  # long series: capped
    monkeypatch.setattr(classification, "STEP_BUDGET", 40)  # a short fit: 40 steps of one batch
    auto = SequenceClassifier(model=FCN_TINY, verbose=0, seed=0, batch_size=20, patience=10**6).fit(X, y)
    assert len(auto.history_["loss"]) == auto_epochs(20, 20) == 40
    with pytest.raises(ConfigError, match="patience"):
        SequenceClassifier(model=FCN_TINY, patience="soon", verbose=0).fit(X, y)


def test_the_labeller_takes_an_fcn_architecture():
    rng = np.random.default_rng(0)
    Y = [np.repeat([0, 1, 0], rng.integers(3, 6, 3)) for _ in range(16)]
    X = [rng.normal(size=(len(y), 1)) + 2.0 * y[:, None] for y in Y]
    labeller = SequenceLabeller(model=FCN_TINY, epochs=40, learning_rate=1e-2, validation=0, verbose=0, seed=0).fit(X, Y)
    predicted = labeller.predict(X)
    assert [len(p) for p in predicted] == [len(y) for y in Y]
    assert np.mean(np.concatenate(predicted) == np.concatenate(Y)) >= 0.8


def test_an_ensemble_averages_members_trained_each_on_its_own_loss():
    import dataclasses

    from lstm_toolkit.models.ensemble import members_model

    X, y = separable(n=30)
    clf = SequenceClassifier(model=dataclasses.replace(FCN_TINY, members=3), epochs=3, verbose=0, seed=0).fit(X, y)
    assert {"m1_output_loss", "m2_output_loss", "m3_output_loss"} <= set(clf.history_)
    padded = pad(X[:5], clf.scaler_)[0]
    members = [np.asarray(output) for output in members_model(clf.model_)(padded)]
    np.testing.assert_allclose(clf.model_(padded).numpy(), np.mean(members, axis=0), atol=1e-6)
    assert not np.allclose(members[0], members[1])  # initialised differently
    assert members_model(build_sequence_classifier(FCN_TINY, n_features=2, n_classes=2, length=4)).outputs.__len__() == 1
    with pytest.raises(ConfigError, match="members"):
        ModelConfig(members=0)


@pytest.mark.parametrize("estimator", ["classifier", "labeller"])
def test_the_same_seed_gives_the_same_model_whatever_ran_before(estimator):
    """The seed is set before the weights are drawn, not only before training."""
    X, y = separable(n=16)
    if estimator == "classifier":
        def fit():
            return SequenceClassifier(model=FCN_TINY, epochs=1, verbose=0, seed=3).fit(X, y)
    else:
        Y = [np.full(len(x), label == "high", dtype=int) for x, label in zip(X, y)]

        def fit():
            return SequenceLabeller(model=TINY, epochs=1, verbose=0, seed=3, validation=0).fit(X, Y)
    first = fit().model_.get_weights()
    np.random.default_rng().normal(size=10)
    import keras

    keras.random.normal((3,))  # other random draws between the two fits
    second = fit().model_.get_weights()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_invalid_training_settings_are_refused_even_where_minirocket_would_not_read_them():
    X = np.random.default_rng(0).normal(size=(12, 20, 1))
    y = np.array([0, 1] * 6)
    for bad, message in (({"epochs": 0}, "epochs=0"), ({"batch_size": 0}, "batch_size=0"),
                         ({"learning_rate": 0}, "learning_rate=0")):
        with pytest.raises(ConfigError, match=message):  # the default architecture is MiniRocket, fit in closed form
            SequenceClassifier(verbose=0, **bad).fit(X, y)
