"""The forecasting commands: demo, fit, predict, evaluate, export, tune."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lstm_toolkit.cli.common import check_out, lookback_arg, parse_start, positive_int, print_table, read_csv

DEMO_DATASET = "seattle_hourly_temperature"


def cmd_demo(args):
    import lstm_toolkit
    from lstm_toolkit.plotting import plot_errors_by_step, plot_forecast

    check_out(args.out)
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
    print_table(table)
    model_mase, seasonal_mase = table.loc["model", "MASE"], table.loc["seasonal_naive", "MASE"]
    verdict = "beats" if model_mase < seasonal_mase else "does NOT beat"
    print(f"\n{forecaster_name(forecaster)} {verdict} seasonal naive on MASE ({model_mase:.3f} vs {seasonal_mase:.3f}).")
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


def forecaster_name(forecaster):
    """What a fitted Forecaster forecasts with: the LSTM, or the reference forecast it kept (`reference_fallback_`),
    the ridge regression averaged with it (`linear_`), and the level network averaged in (`level_member_`)."""
    from lstm_toolkit.models import REFERENCE_FORECASTS

    linear = getattr(forecaster, "linear_", None)
    ridge = "" if not linear else f" ({1 - linear['share']:.0%}; {linear['share']:.0%} a ridge regression on its windows)"
    joined = (getattr(forecaster, "level_member_", None) or {}).get("joined")
    level = ", averaged with a second LSTM that reads the window's levels" if joined else ""
    if forecaster.reference_fallback_ is None:
        return f"The LSTM{ridge}{level}"
    return (f"The reference forecast ({REFERENCE_FORECASTS[forecaster.model_config_.window_norm]}){ridge}, kept because "
            f"the LSTM did not beat it on validation{level},")


def ensemble_arg(text):
    """`--ensemble`: a count of members ("3"), or lookbacks joined by commas ("6,8,12"), one member each.

    >>> ensemble_arg("3"), ensemble_arg("6,8,12")
    (3, (6, 8, 12))
    """
    if "," not in text:
        return positive_int(text)
    return tuple(positive_int(part) for part in text.split(","))


def problem_args(args, time_col):
    """The arguments `fit` and `tune` share: the columns, window, epochs and seed."""
    return dict(target=args.target, lookback=args.lookback, horizon=args.horizon, time_col=time_col,
                epochs=args.epochs, seed=args.seed)


def cmd_fit(args):
    import lstm_toolkit

    distribution = None
    if args.multi_worker:
        import tensorflow as tf

        distribution = tf.distribute.MultiWorkerMirroredStrategy()  # before any other TensorFlow work
    check_out(args.out)
    frame, time_col = read_csv(args.csv, args.time_col)
    forecaster = lstm_toolkit.Forecaster(
        **problem_args(args, time_col),
        distribution=distribution,
        backup_dir=args.backup_dir,
        checkpoint_dir=args.checkpoint_dir,
        features=args.features,
        verbose=2 if args.verbose else 0,
        stateful=args.stateful,
        strategy=args.strategy,
        series_id=args.series_id,
        series_embedding=args.series_embedding,
        loss=args.loss,
        ensemble=args.ensemble,
        **({"quantiles": tuple(args.quantiles)} if args.quantiles else {}),
    )
    forecaster.fit(frame)
    saved = forecaster.save(args.out)
    history = forecaster.history_
    validation = history.get("selection_val_loss", history.get("val_loss", history["loss"]))
    refit = " (chosen on validation, then refit on all the data)" if "selection_val_loss" in history else ""
    where = f"saved to {args.out}" if saved else "the chief saves the bundle"
    print(f"Trained {len(history['loss'])} epochs{refit} (best validation loss {min(validation):.4g}); {where}")
    if forecaster.reference_fallback_ is not None:
        print(f"{forecaster_name(forecaster)} is what the saved model forecasts (reference_fallback=True).")
    return 0


def cmd_predict(args):
    import lstm_toolkit
    from lstm_toolkit.errors import ConfigError

    if args.temperature != 1.0 and not args.samples:
        raise ConfigError(f"--temperature {args.temperature:g} spreads sample paths, and none are asked for: "
                          "add --samples N, or leave --temperature out.")
    forecaster = lstm_toolkit.load(args.model)
    frame, _ = read_csv(args.csv, forecaster.time_col)
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
    frame, _ = read_csv(args.csv, forecaster.time_col)
    print_table(forecaster.evaluate(frame, start=parse_start(args.start), stride=args.stride))
    return 0


def cmd_export(args):
    import lstm_toolkit

    forecaster = lstm_toolkit.load(args.model)
    path = forecaster.export(args.out, format=args.format)
    extra = f" and {lstm_toolkit.serving.streaming.sidecar_path(path)}" if args.format == "litert" else ""
    print(f"Exported {args.model} as {args.format} to {path}{extra}")
    return 0


def cmd_tune(args):
    import lstm_toolkit
    from lstm_toolkit.plotting import plot_tuning

    check_out(args.out)
    frame, time_col = read_csv(args.csv, args.time_col)
    space = lstm_toolkit.SearchSpace(units=tuple(args.units), depth=tuple(args.depth), dropout=tuple(args.dropout))
    result = lstm_toolkit.tune(
        frame, **problem_args(args, time_col), tuner=args.tuner, max_trials=args.max_trials, space=space,
        directory=args.directory, project_name=args.project_name,
    )
    if result.trials is None:
        print("Worker finished; the chief holds the results.")
        return 0
    print_table(result.trials)
    if result.forecaster is None:
        print("No trial completed.")
        return 1
    project = Path(args.directory) / args.project_name
    plot_tuning(result).savefig(project / "trials.png", dpi=100)
    print(f"Best: {result.best_hyperparameters}; plot in {project / 'trials.png'}")
    if args.out:
        result.forecaster.save(args.out)
        print(f"Saved the best trial's forecaster to {args.out}")
    return 0


def add_commands(commands):
    """Adds the forecasting commands to the `lstm-toolkit` parser's sub-parsers."""
    demo = commands.add_parser("demo", help="train, backtest and save a model on the shipped demo series")
    demo.add_argument("--out", default="saved_models/demo", help="bundle folder (default: saved_models/demo)")
    demo.add_argument("--epochs", type=positive_int, default=20, help="maximum epochs (default: 20)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.set_defaults(handler=cmd_demo)

    fit = commands.add_parser("fit", help="train a Forecaster on a CSV file and save it")
    fit.add_argument("--csv", required=True, help="input CSV file")
    fit.add_argument("--target", required=True, nargs="+", help="column(s) to forecast")
    fit.add_argument("--features", nargs="+", help="input columns (default: the targets)")
    fit.add_argument("--time-col", help="timestamp column (default: the first column if it is not numeric)")
    fit.add_argument("--lookback", type=lookback_arg, default="auto",
                     help="past rows per forecast (default: auto, 48 or one season when longer)")
    fit.add_argument("--horizon", type=positive_int, default=1, help="future rows per forecast (default: 1)")
    fit.add_argument("--epochs", type=positive_int, default=50, help="maximum epochs (default: 50)")
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
    fit.add_argument("--loss", choices=["auto", "mse", "mae", "quantile", "gaussian", "student_t"],
                     default="auto", help="mse or mae: point forecasts trained by that error (auto, the default: mae for "
                                          "many series, else mse); the others forecast distributions")
    fit.add_argument("--quantiles", type=float, nargs="+",
                     help="quantile levels of the forecasts (default: 0.025 0.1 0.5 0.9 0.975)")
    fit.add_argument("--multi-worker", action="store_true",
                     help="train on every worker of the cluster in TF_CONFIG (run the same command on each); "
                          "only the chief writes --out")
    fit.add_argument("--backup-dir", help="back up each epoch there; a killed run started again resumes from it")
    fit.add_argument("--checkpoint-dir", help="keep the best model of the run there (best.keras)")
    fit.add_argument("--ensemble", type=ensemble_arg, default=1,
                     help="members trained side by side in one model, their median forecast (default: 1); lookbacks "
                          "joined by commas (6,8,12; none above --lookback) train one member per lookback")
    fit.set_defaults(handler=cmd_fit)

    predict = commands.add_parser("predict", help="forecast the steps after the end of a CSV file")
    predict.add_argument("--model", required=True, help="bundle folder")
    predict.add_argument("--csv", required=True, help="history CSV file (at least lookback rows)")
    predict.add_argument("--out", help="write the forecast to this CSV file (default: stdout)")
    predict.add_argument("--samples", type=positive_int,
                         help="write this many sample paths instead (a model fit with a probabilistic --loss)")
    predict.add_argument("--temperature", type=float, default=1.0, help="spread of the sample paths of --samples (default: 1)")
    predict.add_argument("--seed", type=int, default=None, help="random seed of the samples")
    predict.set_defaults(handler=cmd_predict)

    evaluate = commands.add_parser("evaluate", help="backtest a saved model against naive baselines")
    evaluate.add_argument("--model", required=True, help="bundle folder")
    evaluate.add_argument("--csv", required=True, help="CSV file with history and the period to evaluate")
    evaluate.add_argument("--start", help="first forecast row: fraction, row number (negative: counted from "
                          "the end) or timestamp (default: the first row after the training data)")
    evaluate.add_argument("--stride", type=positive_int, default=1, help="rows between origins (default: 1)")
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
    tune.add_argument("--lookback", type=lookback_arg, default="auto",
                     help="past rows per forecast (default: auto, 48 or one season when longer)")
    tune.add_argument("--horizon", type=positive_int, default=1, help="future rows per forecast (default: 1)")
    tune.add_argument("--tuner", choices=["random", "bayesian", "hyperband"], default="bayesian")
    tune.add_argument("--max-trials", type=positive_int, default=20, help="trials in all (default: 20)")
    tune.add_argument("--epochs", type=positive_int, default=30, help="maximum epochs per trial (default: 30)")
    tune.add_argument("--units", type=positive_int, nargs=2, default=[32, 256], metavar=("LOW", "HIGH"))
    tune.add_argument("--depth", type=positive_int, nargs=2, default=[1, 4], metavar=("LOW", "HIGH"))
    tune.add_argument("--dropout", type=float, nargs=2, default=[0.0, 0.5], metavar=("LOW", "HIGH"))
    tune.add_argument("--directory", default="saved_models/tuning", help="where the search lives (resumable)")
    tune.add_argument("--project-name", default="lstm_toolkit", help="name of the search (default: lstm_toolkit)")
    tune.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    tune.add_argument("--out", help="save the best trial's forecaster as a bundle here")
    tune.set_defaults(handler=cmd_tune)

