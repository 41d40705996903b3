"""The `lstm-toolkit` command line: demo, fit, predict, evaluate, export, tune, classify, label, detect."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

DEMO_DATASET = "seattle_hourly_temperature"


def _read_csv(path, time_col=None):
    """Reads a CSV; without `time_col`, a non-numeric first column is taken as the timestamps."""
    import pandas as pd

    from lstm_toolkit.errors import DataError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"CSV file not found: {path}. Check the path.")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"Could not read {path} as CSV: {error}") from None
    if time_col is None and len(frame.columns) and not pd.api.types.is_numeric_dtype(frame[frame.columns[0]]):
        time_col = frame.columns[0]
    return frame, time_col


def _print_table(table):
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))


def cmd_demo(args):
    import lstm_toolkit
    from lstm_toolkit.plotting import plot_errors_by_step, plot_forecast

    started = time.perf_counter()
    df = lstm_toolkit.datasets.load(DEMO_DATASET)
    cut = int(round(len(df) * 0.8))
    print(
        f"Demo: {DEMO_DATASET} ({len(df)} hourly rows; NOAA climate normals, a smooth typical year).\n"
        f"Training on the first {cut} rows, backtesting 24-hour forecasts over the last {len(df) - cut}.",
        flush=True,
    )
    forecaster = lstm_toolkit.Forecaster(
        lookback=72, horizon=24, target="temp", epochs=args.epochs, seed=args.seed, verbose=2
    )
    forecaster.fit(df.iloc[:cut])
    table = forecaster.evaluate(df)
    print("\nBacktest metrics (original units, every origin of the held-out part):")
    _print_table(table)
    model_mase, seasonal_mase = table.loc["model", "MASE"], table.loc["seasonal_naive", "MASE"]
    verdict = "beats" if model_mase < seasonal_mase else "does NOT beat"
    print(f"\nThe LSTM {verdict} seasonal naive on MASE ({model_mase:.3f} vs {seasonal_mase:.3f}).")
    out = Path(args.out)
    forecaster.save(out)
    print(f"Saved the bundle to {out}/")
    results = forecaster.backtest(df)
    origin = cut + (len(df) - cut) // 2
    forecast = forecaster.predict(df.iloc[:origin])
    figure = plot_forecast(df.iloc[:origin], forecast, actual=df.iloc[origin : origin + 24], last=72)
    figure.savefig(out.parent / f"{out.name}_forecast.png", dpi=100)
    plot_errors_by_step(results).savefig(out.parent / f"{out.name}_errors_by_step.png", dpi=100)
    print(f"Wrote {out.parent / (out.name + '_forecast.png')} and {out.name}_errors_by_step.png")
    print(f"Done in {time.perf_counter() - started:.0f} s.")
    return 0


def cmd_fit(args):
    import lstm_toolkit

    frame, time_col = _read_csv(args.csv, args.time_col)
    forecaster = lstm_toolkit.Forecaster(
        lookback=args.lookback,
        horizon=args.horizon,
        target=args.target,
        features=args.features,
        time_col=time_col,
        epochs=args.epochs,
        seed=args.seed,
        verbose=2 if args.verbose else 0,
        stateful=args.stateful,
        strategy=args.strategy,
        series_id=args.series_id,
        series_embedding=args.series_embedding,
        loss=args.loss,
        **({"quantiles": tuple(args.quantiles)} if args.quantiles else {}),
    )
    forecaster.fit(frame)
    forecaster.save(args.out)
    history = forecaster.history_
    best = min(history.get("val_loss", history["loss"]))
    print(f"Trained {len(history['loss'])} epochs (best validation loss {best:.4g}); saved to {args.out}")
    return 0


def cmd_predict(args):
    import lstm_toolkit

    forecaster = lstm_toolkit.load(args.model)
    frame, _ = _read_csv(args.csv, forecaster.time_col)
    forecast = forecaster.predict(frame)
    if args.samples:
        import pandas as pd

        paths = forecaster.predict(frame, num_samples=args.samples, temperature=args.temperature, seed=args.seed)
        targets = list(forecaster.spec_.targets)

        def tidy(paths, index):
            return pd.DataFrame(
                [(sample, timestamp, target, paths[sample, step, k])
                 for sample in range(len(paths)) for step, timestamp in enumerate(index)
                 for k, target in enumerate(targets)],
                columns=["sample", index.name or "timestamp", "target", "value"],
            ).set_index("sample")

        if isinstance(paths, dict):  # a model of many series: one block of paths per series, with its id
            id_col = forecaster.series_id or "series"
            forecast = pd.concat(
                [tidy(paths[key], rows.index).reset_index().assign(**{id_col: key})
                 for key, rows in forecast.groupby(id_col, sort=False)]
            ).set_index([id_col, "sample"])
        else:
            forecast = tidy(paths, forecast.index)
    if args.out:
        forecast.to_csv(args.out)
        print(f"Wrote {len(forecast)} forecast rows to {args.out}")
    else:
        forecast.to_csv(sys.stdout)
    return 0


def cmd_evaluate(args):
    import lstm_toolkit

    forecaster = lstm_toolkit.load(args.model)
    frame, _ = _read_csv(args.csv, forecaster.time_col)
    _print_table(forecaster.evaluate(frame, start=_parse_start(args.start), stride=args.stride))
    return 0


def cmd_export(args):
    import lstm_toolkit

    forecaster = lstm_toolkit.load(args.model)
    path = forecaster.export(args.out, format=args.format)
    extra = f" and {lstm_toolkit.streaming.sidecar_path(path)}" if args.format == "litert" else ""
    print(f"Exported {args.model} as {args.format} to {path}{extra}")
    return 0


def cmd_tune(args):
    import lstm_toolkit
    from lstm_toolkit.plotting import plot_tuning

    frame, time_col = _read_csv(args.csv, args.time_col)
    space = lstm_toolkit.SearchSpace(units=tuple(args.units), depth=tuple(args.depth), dropout=tuple(args.dropout))
    result = lstm_toolkit.tune(
        frame,
        target=args.target,
        lookback=args.lookback,
        horizon=args.horizon,
        tuner=args.tuner,
        max_trials=args.max_trials,
        epochs=args.epochs,
        space=space,
        directory=args.directory,
        project_name=args.project_name,
        seed=args.seed,
        time_col=time_col,
    )
    if result.trials is None:
        print("Worker finished; the chief holds the results.")
        return 0
    _print_table(result.trials)
    if result.forecaster is None:
        print("No trial completed.")
        return 1
    project = Path(args.directory) / args.project_name
    plot_tuning(result.trials).savefig(project / "trials.png", dpi=100)
    print(f"Best: {result.best_hyperparameters}; plot in {project / 'trials.png'}")
    if args.out:
        result.forecaster.save(args.out)
        print(f"Saved the best trial's forecaster to {args.out}")
    return 0


# --- sequence estimators: classify, label, detect ----------------------------------------


def _write_or_print(frame, out, what):
    if out:
        frame.to_csv(out, index=False)
        print(f"Wrote {len(frame)} {what} to {out}")
    else:
        frame.to_csv(sys.stdout, index=False)


def _case_ids(frame, case_col):
    from lstm_toolkit.errors import DataError

    if case_col not in frame.columns:
        raise DataError(f"Case column {case_col!r} not found. Columns: {list(frame.columns)}.")
    return frame[case_col].drop_duplicates().tolist()


def cmd_classify(args):
    import pandas as pd

    from lstm_toolkit.classification import SequenceClassifier

    if args.action == "fit":
        frame, _ = _read_csv(args.csv, time_col=False)
        clf = SequenceClassifier(epochs=args.epochs, seed=args.seed, verbose=2 if args.verbose else 0)
        clf.fit(frame, args.label, case_col=args.case_col, time_col=args.time_col, features=args.features)
        clf.save(args.out)
        print(f"Trained on {frame[args.case_col].nunique()} cases, classes {clf.classes_.tolist()}; saved to {args.out}")
        return 0
    clf = SequenceClassifier.load(args.model)
    frame, _ = _read_csv(args.csv, time_col=False)
    if args.action == "score":
        print(f"accuracy {clf.score(frame, args.label):.4f}")
        return 0
    case_col = clf.case_col_
    probabilities = clf.predict_proba(frame)
    table = pd.DataFrame({case_col: _case_ids(frame, case_col), "predicted": clf.codec_.decode(probabilities.argmax(1))})
    for position, label in enumerate(clf.classes_.tolist()):
        table[f"p_{label}"] = probabilities[:, position]
    _write_or_print(table, args.out, "predictions")
    return 0


def cmd_label(args):
    from lstm_toolkit.labelling import SequenceLabeller

    if args.action == "fit":
        frame, _ = _read_csv(args.csv, time_col=False)
        labeller = SequenceLabeller(epochs=args.epochs, seed=args.seed, verbose=2 if args.verbose else 0)
        labeller.fit(frame, args.label, case_col=args.case_col, time_col=args.time_col, features=args.features)
        labeller.save(args.out)
        print(f"Trained on {frame[args.case_col].nunique()} sequences, labels {labeller.classes_.tolist()}; saved to {args.out}")
        return 0
    labeller = SequenceLabeller.load(args.model)
    frame, _ = _read_csv(args.csv, time_col=False)
    if args.action == "score":
        report = labeller.evaluate(frame, args.label).loc["model"]
        print(" ".join(f"{name} {report[name]:.4f}" for name in ("accuracy", "precision", "recall", "f1")))
        return 0
    case_col = labeller.case_col_
    table = labeller.predict_segments(frame)
    ids = _case_ids(frame, case_col)
    table.insert(0, case_col, [ids[k] for k in table.pop("sequence")])
    _write_or_print(table, args.out, "segments")
    return 0


def cmd_detect(args):
    import pandas as pd

    from lstm_toolkit.anomaly import AnomalyDetector
    from lstm_toolkit.data.frame import check_columns

    frame, _ = _read_csv(args.csv, time_col=False)
    if args.action == "fit":
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
        _print_table(detector.evaluate(signal, frame[args.labels]))
    scores = detector.score_samples(signal)
    table = pd.DataFrame({"score": scores, "flag": (scores > detector.threshold_).astype(int)})
    if args.out or not args.labels:
        _write_or_print(table, args.out, "scored rows")
    return 0


def _parse_start(text):
    """`--start` as the Forecaster takes it: a row number, a fraction, or a timestamp string.

    Example:
    >>> _parse_start("120"), _parse_start("0.8"), _parse_start("2024-01-01"), _parse_start(None)
    (120, 0.8, '2024-01-01', None)
    """
    if text is None:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="lstm-toolkit", description="Forecast time series with Keras LSTMs."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="train, backtest and save a model on the shipped demo series")
    demo.add_argument("--out", default="saved_models/demo", help="bundle folder (default: saved_models/demo)")
    demo.add_argument("--epochs", type=_positive_int, default=20, help="maximum epochs (default: 20)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.set_defaults(handler=cmd_demo)

    fit = commands.add_parser("fit", help="train a Forecaster on a CSV file and save it")
    fit.add_argument("--csv", required=True, help="input CSV file")
    fit.add_argument("--target", required=True, nargs="+", help="column(s) to forecast")
    fit.add_argument("--features", nargs="+", help="input columns (default: the targets)")
    fit.add_argument("--time-col", help="timestamp column (default: the first column if it is not numeric)")
    fit.add_argument("--lookback", type=_positive_int, default=48, help="past rows per forecast (default: 48)")
    fit.add_argument("--horizon", type=_positive_int, default=1, help="future rows per forecast (default: 1)")
    fit.add_argument("--epochs", type=_positive_int, default=50, help="maximum epochs (default: 50)")
    fit.add_argument("--seed", type=int, default=None, help="random seed")
    fit.add_argument("--out", required=True, help="bundle folder to write")
    fit.add_argument("--verbose", action="store_true", help="print one line per epoch")
    fit.add_argument("--stateful", action="store_true",
                     help="carry the LSTM state through the series (truncated BPTT): O(1) streaming updates")
    fit.add_argument("--strategy", choices=["direct", "recursive"], default="direct",
                     help="direct: all horizon steps at once (default); recursive: a one-step model fed its forecasts")
    fit.add_argument("--series-id", help="id column of a long CSV holding many series: one global model for all")
    fit.add_argument("--series-embedding", type=int, default=0,
                     help="with --series-id: size of a learned embedding of each series (default: 0, none)")
    fit.add_argument("--loss", choices=["mse", "quantile", "gaussian", "student_t"], default="mse",
                     help="mse: point forecasts (default); the others forecast distributions")
    fit.add_argument("--quantiles", type=float, nargs="+",
                     help="quantile levels of the forecasts (default: 0.025 0.1 0.5 0.9 0.975)")
    fit.set_defaults(handler=cmd_fit)

    predict = commands.add_parser("predict", help="forecast the steps after the end of a CSV file")
    predict.add_argument("--model", required=True, help="bundle folder")
    predict.add_argument("--csv", required=True, help="history CSV file (at least lookback rows)")
    predict.add_argument("--out", help="write the forecast to this CSV file (default: stdout)")
    predict.add_argument("--samples", type=_positive_int,
                         help="write this many sample paths instead (a model fit with a probabilistic --loss)")
    predict.add_argument("--temperature", type=float, default=1.0, help="spread of the sample paths (default: 1)")
    predict.add_argument("--seed", type=int, default=None, help="random seed of the samples")
    predict.set_defaults(handler=cmd_predict)

    evaluate = commands.add_parser("evaluate", help="backtest a saved model against naive baselines")
    evaluate.add_argument("--model", required=True, help="bundle folder")
    evaluate.add_argument("--csv", required=True, help="CSV file with history and the period to evaluate")
    evaluate.add_argument("--start", help="first forecast row: fraction, row number or timestamp "
                          "(default: the first row after the training data)")
    evaluate.add_argument("--stride", type=_positive_int, default=1, help="rows between origins (default: 1)")
    evaluate.set_defaults(handler=cmd_evaluate)

    export = commands.add_parser("export", help="export a saved model to LiteRT (.tflite) or a TF SavedModel")
    export.add_argument("--model", required=True, help="bundle folder")
    export.add_argument("--format", required=True, choices=["litert", "saved_model"])
    export.add_argument("--out", required=True, help="the .tflite file (its .json sidecar goes beside it) or SavedModel folder")
    export.set_defaults(handler=cmd_export)

    tune = commands.add_parser(
        "tune", help="search architectures with Keras Tuner (set KERASTUNER_* variables for chief/worker mode)"
    )
    tune.add_argument("--csv", required=True, help="training CSV file (its end is the validation part)")
    tune.add_argument("--target", required=True, nargs="+", help="column(s) to forecast")
    tune.add_argument("--time-col", help="timestamp column (default: the first column if it is not numeric)")
    tune.add_argument("--lookback", type=_positive_int, default=48, help="past rows per forecast (default: 48)")
    tune.add_argument("--horizon", type=_positive_int, default=1, help="future rows per forecast (default: 1)")
    tune.add_argument("--tuner", choices=["random", "bayesian", "hyperband"], default="bayesian")
    tune.add_argument("--max-trials", type=_positive_int, default=20, help="trials in all (default: 20)")
    tune.add_argument("--epochs", type=_positive_int, default=30, help="maximum epochs per trial (default: 30)")
    tune.add_argument("--units", type=_positive_int, nargs=2, default=[32, 256], metavar=("LOW", "HIGH"))
    tune.add_argument("--depth", type=_positive_int, nargs=2, default=[1, 4], metavar=("LOW", "HIGH"))
    tune.add_argument("--dropout", type=float, nargs=2, default=[0.0, 0.5], metavar=("LOW", "HIGH"))
    tune.add_argument("--directory", default="saved_models/tuning", help="where the search lives (resumable)")
    tune.add_argument("--project-name", default="lstm_toolkit", help="name of the search (default: lstm_toolkit)")
    tune.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    tune.add_argument("--out", help="save the best trial's forecaster as a bundle here")
    tune.set_defaults(handler=cmd_tune)

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
        train.add_argument("--epochs", type=_positive_int, default=150 if name == "classify" else 100)
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
        command.set_defaults(handler=cmd_classify if name == "classify" else cmd_label)

    detect = commands.add_parser("detect", help="score every row of a signal for anomalies (AnomalyDetector)")
    actions = detect.add_subparsers(dest="action", required=True, metavar="ACTION")
    train = actions.add_parser("fit", help="train on mostly normal data and save a bundle")
    train.add_argument("--csv", required=True, help="CSV with the signal's columns")
    train.add_argument("--columns", required=True, nargs="+", help="the signal's column(s)")
    train.add_argument("--method", choices=["forecast", "autoencoder"], default="forecast")
    train.add_argument("--lookback", "--window", type=_positive_int, default=64,
                       help="steps per forecast window / autoencoder window (default: 64; --window is its old name)")
    train.add_argument("--contamination", type=float, default=0.01, help="expected anomaly fraction (default: 0.01)")
    train.add_argument("--epochs", type=_positive_int, default=30, help="maximum epochs (default: 30)")
    train.add_argument("--seed", type=int, default=None, help="random seed")
    train.add_argument("--out", required=True, help="bundle folder to write")
    train.add_argument("--verbose", action="store_true", help="print one line per epoch")
    score = actions.add_parser("score", help="write each row's score and 0/1 flag; with --labels, print ROC-AUC etc.")
    score.add_argument("--model", required=True, help="bundle folder")
    score.add_argument("--csv", required=True, help="CSV with the signal's columns")
    score.add_argument("--labels", help="0/1 label column: print metrics next to the baselines")
    score.add_argument("--out", help="write the scores here (default: stdout unless --labels)")
    detect.set_defaults(handler=cmd_detect)
    return parser


def main(argv=None):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    from lstm_toolkit.errors import LstmToolkitError

    try:
        return args.handler(args)
    except (LstmToolkitError, OSError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"lstm-toolkit {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
