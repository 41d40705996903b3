"""The sequence commands: classify, label (whole sequences, every step) and detect (anomalies)."""

from __future__ import annotations

import dataclasses

from lstm_toolkit.cli.common import case_ids, check_out, positive_int, print_table, read_csv, write_or_print


def architecture_config(architecture, per_step=False):
    """The `ModelConfig` the CLI's `--architecture` names, for a classifier or (`per_step`) a labeller."""
    from lstm_toolkit.sequences.classifier import DEFAULT_CLASSIFIER, LSTM_FCN_CLASSIFIER, RECURRENT_CLASSIFIER
    from lstm_toolkit.sequences.labeller import DEFAULT_LABELLER

    if architecture == "stacked":
        return DEFAULT_LABELLER if per_step else RECURRENT_CLASSIFIER
    if architecture == "minirocket":
        return DEFAULT_CLASSIFIER
    return dataclasses.replace(LSTM_FCN_CLASSIFIER, architecture=architecture)


def cmd_cases(args):
    """`classify` and `label`: fit, predict or score a SequenceClassifier / SequenceLabeller on a long CSV."""
    import pandas as pd

    from lstm_toolkit.sequences.classifier import SequenceClassifier
    from lstm_toolkit.sequences.labeller import SequenceLabeller

    classify = args.command == "classify"
    estimator_class = SequenceClassifier if classify else SequenceLabeller
    frame, _ = read_csv(args.csv, time_col=False)
    if args.action == "fit":
        check_out(args.out)  # before the training, not after it
        settings = {"epochs": args.epochs} if args.epochs else {}
        if args.architecture:
            settings["model"] = architecture_config(args.architecture, per_step=not classify)
        estimator = estimator_class(seed=args.seed, verbose=2 if args.verbose else 0, **settings)
        estimator.fit(frame, args.label, case_col=args.case_col, time_col=args.time_col, features=args.features)
        estimator.save(args.out)
        what = "cases, classes" if classify else "sequences, labels"
        print(f"Trained on {frame[args.case_col].nunique()} {what} {estimator.classes_.tolist()}; saved to {args.out}")
        return 0
    estimator = estimator_class.load(args.model)
    if args.action == "score":
        if classify:
            print(f"accuracy {estimator.score(frame, args.label):.4f}")
        else:
            report = estimator.evaluate(frame, args.label).loc["model"]
            print(" ".join(f"{name} {report[name]:.4f}" for name in ("accuracy", "precision", "recall", "f1")))
        return 0
    case_col = estimator.case_col_
    ids = case_ids(frame, case_col)
    if classify:
        probabilities = estimator.predict_proba(frame)
        table = pd.DataFrame({case_col: ids, "predicted": estimator.codec_.decode(probabilities.argmax(1))})
        for position, label in enumerate(estimator.classes_.tolist()):
            table[f"p_{label}"] = probabilities[:, position]
    else:
        table = estimator.predict_segments(frame)
        table.insert(0, case_col, [ids[k] for k in table.pop("sequence")])
    write_or_print(table, args.out, "predictions" if classify else "segments")
    return 0


def cmd_detect(args):
    import pandas as pd

    from lstm_toolkit.data.frame import as_frame, check_columns
    from lstm_toolkit.sequences.anomaly import AnomalyDetector

    frame, _ = read_csv(args.csv, time_col=False)
    if args.time_col:  # the steps' timestamps: parsed, and checked to be in order, each once
        frame = as_frame(frame, time_col=args.time_col)
    if args.action == "fit":
        check_out(args.out)  # before the training, not after it
        check_columns(frame, args.columns)
        detector = AnomalyDetector(method=args.method, lookback=args.lookback, contamination=args.contamination,
                                   epochs=args.epochs, seed=args.seed, verbose=2 if args.verbose else 0)
        detector.fit(frame[args.columns])
        detector.save(args.out)
        print(f"Trained on {len(frame)} rows (score smoothing over {detector.smooth_} steps, "
              f"threshold {detector.threshold_:.3f}); saved to {args.out}")
        return 0
    detector = AnomalyDetector.load(args.model)
    check_columns(frame, list(detector.columns_))
    signal = frame[list(detector.columns_)]
    if args.labels:
        check_columns(frame, [args.labels])
        print_table(detector.evaluate(signal, frame[args.labels]))
    scores = detector.score_samples(signal)
    table = pd.DataFrame({"score": scores, "flag": (scores > detector.threshold_).astype(int)})
    if args.time_col:
        table.insert(0, args.time_col, frame.index)
    if args.out or not args.labels:
        write_or_print(table, args.out, "scored rows")
    return 0


TIME_COL_HELP = "timestamp column, checked to be in order with no step twice (default: the rows' order)"


def add_commands(commands):
    """Adds the classify, label and detect commands to the `lstm-toolkit` parser's sub-parsers."""
    for name, kind, help_text in (
        ("classify", "label", "classify whole sequences (SequenceClassifier) from a long CSV: one row per frame"),
        ("label", "label", "label every step of sequences (SequenceLabeller) from a long CSV"),
    ):
        command = commands.add_parser(name, help=help_text)
        actions = command.add_subparsers(dest="action", required=True, metavar="ACTION")
        train = actions.add_parser("fit", help="train and save a bundle")
        train.add_argument("--csv", required=True, help="long CSV: one row per frame")
        train.add_argument("--case-col", required=True, help="column naming each row's sequence")
        train.add_argument("--label", required=True, help="label column (per case for classify, per row for label)")
        train.add_argument("--time-col", help="frame-order column within each sequence")
        train.add_argument("--features", nargs="+", help="input columns (default: every other numeric column)")
        train.add_argument("--epochs", type=positive_int, help="the most epochs (default: the estimator's, 'auto' for classify)")
        train.add_argument("--architecture", choices=["minirocket", "lstm_fcn", "fcn", "stacked"],
                           help="minirocket: random convolutions and a ridge classifier (classify's default; not "
                                "for label); lstm_fcn: convolutions beside an LSTM; fcn: convolutions only; "
                                "stacked: bidirectional LSTMs (label's default)")
        train.add_argument("--seed", type=int, default=None, help="random seed")
        train.add_argument("--out", required=True, help="bundle folder to write")
        train.add_argument("--verbose", action="store_true", help="print one line per epoch")
        predict_help = "predict each case's label" if name == "classify" else "predict labelled segments (start, end exclusive)"
        use = actions.add_parser("predict", help=predict_help)
        use.add_argument("--model", required=True, help="bundle folder")
        use.add_argument("--csv", required=True, help="long CSV with the same columns as in fit")
        use.add_argument("--out", help="write a CSV here (default: stdout)")
        score = actions.add_parser("score", help="accuracy on labelled data" + ("" if name == "classify" else " and segment F1"))
        score.add_argument("--model", required=True, help="bundle folder")
        score.add_argument("--csv", required=True, help="long CSV with the label column")
        score.add_argument("--label", required=True, help="label column")
        command.set_defaults(handler=cmd_cases)

    detect = commands.add_parser("detect", help="score every row of a signal for anomalies (AnomalyDetector)")
    actions = detect.add_subparsers(dest="action", required=True, metavar="ACTION")
    train = actions.add_parser("fit", help="train on mostly normal data and save a bundle")
    train.add_argument("--csv", required=True, help="CSV with the signal's columns")
    train.add_argument("--columns", required=True, nargs="+", help="the signal's column(s)")
    train.add_argument("--time-col", help=TIME_COL_HELP)
    train.add_argument("--method", choices=["forecast", "autoencoder"], default="forecast")
    train.add_argument("--lookback", "--window", type=positive_int, default=64,
                       help="steps per forecast window / autoencoder window (default: 64; --window is its old name)")
    train.add_argument("--contamination", type=float, default=0.01, help="expected anomaly fraction (default: 0.01)")
    train.add_argument("--epochs", type=positive_int, default=30, help="maximum epochs (default: 30)")
    train.add_argument("--seed", type=int, default=None, help="random seed")
    train.add_argument("--out", required=True, help="bundle folder to write")
    train.add_argument("--verbose", action="store_true", help="print one line per epoch")
    score = actions.add_parser("score", help="write each row's score and 0/1 flag; with --labels, print ROC-AUC etc.")
    score.add_argument("--model", required=True, help="bundle folder")
    score.add_argument("--csv", required=True, help="CSV with the signal's columns")
    score.add_argument("--time-col", help=TIME_COL_HELP + "; the scores carry it")
    score.add_argument("--labels", help="0/1 label column: print metrics next to the baselines")
    score.add_argument("--out", help="write the scores here (default: stdout unless --labels)")
    detect.set_defaults(handler=cmd_detect)
