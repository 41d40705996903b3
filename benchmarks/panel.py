"""Issue 20's panel floors: 10,000 series x 500 rows on one machine, batched, next to the same work series by series.

Run through `python benchmarks/many_series.py --panel 10000` (or this file directly: `python benchmarks/panel.py 10000`).
The panel is `datasets.synthetic_panel(n, 500, seed)`: hourly series with trends, daily and weekly cycles and noise
of their own, lengths of 250-500 rows and 1% of 36 rows (too short to scale once the last 24 are held out: they get the
naive forecast, with the reason). Every series' last
24 rows are held out. The figures:

- prepare: `Forecaster.prepare` of the panel (split by time, a scaler per series, the windows index), and the
  peak RSS of the process after it, next to what the windows would take if materialised (rows x lookback);
- training throughput: 200 batches of the panel's training windows vs 200 batches of one long series'
  (the single-series path), windows per second, same model and loss (the panel's: `loss="auto"` trains a panel on
  the absolute error, one series on the squared error);
- predict: one `predict` call for every series vs `for_series(id).predict` in a loop; and again with every series
  renamed, so that the model forecasts each as one it was not trained on (its scaler fit on its rows at `predict`);
- evaluate: `evaluate(by_series=True)` of every series (the model runs once over all windows) vs a loop.
The loops run over the first `--loop` series (default 1,000) and are scaled to all series.
"""

import resource
import sys
import time
import warnings

import pandas as pd
from _common import machine

import lstm_toolkit
from lstm_toolkit import Forecaster
from lstm_toolkit.forecasting import choices

LOOKBACK, HORIZON, LENGTH, BATCHES = 48, 24, 500, 200


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def throughput(fc, series, batches=BATCHES):
    """Windows per second of `batches` training steps (after one warm-up step) of a fresh model on `series`."""
    batch_size = choices.resolve_batch_size(fc.batch_size, series.n_windows("train"))  # as `fit` resolves "auto"
    config = lstm_toolkit.TrainingConfig(epochs=1, batch_size=batch_size, learning_rate=fc.learning_rate, seed=0)
    model = fc.compile_network(fc.build_network(), config)
    data = series.dataset("train", batch_size=config.batch_size, seed=0).repeat()
    model.fit(data, steps_per_epoch=1, epochs=1, verbose=0)
    _, seconds = timed(lambda: model.fit(data, steps_per_epoch=batches, epochs=1, verbose=0))
    return batches * config.batch_size / seconds, model


def main(n_series, loop=1000, seed=0):
    warnings.simplefilter("ignore")
    print(f"# Panel of {n_series} series x up to {LENGTH} rows ({machine()}), lookback {LOOKBACK}, horizon {HORIZON}\n")
    panel, seconds = timed(lambda: lstm_toolkit.datasets.synthetic_panel(n_series, LENGTH, seed=seed))
    last = panel.groupby("series")["timestamp"].transform("max")
    train = panel[panel["timestamp"] <= last - pd.Timedelta(hours=HORIZON)]
    print(f"generated {len(panel):,} rows in {seconds:.1f} s; peak RSS {rss_mb():.0f} MB")
    settings = dict(lookback=LOOKBACK, horizon=HORIZON, target="value", time_col="timestamp", epochs=1, seed=seed, verbose=0)
    fc = Forecaster(series_id="series", **settings)
    before = rss_mb()
    series, prepare_s = timed(lambda: fc.prepare(train))
    grown = rss_mb() - before
    windows = series.n_windows("train")
    as_windows = windows * LOOKBACK * 4 / 2**20
    rows = []
    keys = list(fc.scalers_)[:loop]
    scale = len(fc.scalers_) / len(keys)
    _, loop_prepare = timed(lambda: [Forecaster(**settings).prepare(train[train["series"] == k].drop(columns="series"))
                                     for k in keys])
    rows.append(("prepare (split, scalers, windows index)", prepare_s, loop_prepare * scale))
    print(f"prepared {len(fc.scalers_)} series (and {len(fc.skipped_series_)} too short to scale: they get the naive "
          "forecast, with the reason), "
          f"{windows:,} training windows; peak RSS {before:.0f} -> {before + grown:.0f} MB "
          f"(the windows materialised would be {as_windows:,.0f} MB)")
    panel_rate, model = throughput(fc, series)
    one = Forecaster(**{**settings, "time_col": None, "loss": fc.loss_})  # the panel's loss ("auto": "mae"): one model
    long_series = one.prepare(lstm_toolkit.datasets.load("seattle_hourly_temperature").rename(columns={"temp": "value"}))
    single_rate, _ = throughput(one, long_series)
    fc.use_trained_model(model, {"loss": [0.0]})
    forecast, predict_s = timed(lambda: fc.predict(train))
    by_key = dict(iter(train.drop(columns="series").groupby(train["series"])))
    _, loop_predict = timed(lambda: [fc.for_series(k).predict(by_key[k]) for k in keys])
    rows.append(("predict every series", predict_s, loop_predict * scale))
    renamed = train.assign(series="new-" + train["series"].astype(str))  # none trained on: each scaled on its own rows
    _, new_s = timed(lambda: fc.predict(renamed))
    _, loop_new = timed(lambda: [fc.predict({f"new-{k}": by_key[k]}) for k in keys])
    rows.append(("predict every series as a series the model was not trained on", new_s, loop_new * scale))
    table, evaluate_s = timed(lambda: fc.evaluate(panel, by_series=True))
    whole = dict(iter(panel.drop(columns="series").groupby(panel["series"])))
    _, loop_evaluate = timed(lambda: [fc.for_series(k).evaluate(whole[k]) for k in keys])
    rows.append(("evaluate(by_series=True)", evaluate_s, loop_evaluate * scale))
    print(f"forecast rows {len(forecast):,}; evaluated series {table.index.get_level_values(0).nunique():,}; "
          f"peak RSS {rss_mb():.0f} MB\n")
    print(f"| work ({len(fc.scalers_):,} series) | batched, s | series by series in a loop, s (first {len(keys):,}, scaled) |")
    print("|---|---|---|")
    for name, batched, looped in rows:
        print(f"| {name} | {batched:.1f} | {looped:.1f} |")
    print(f"\ntraining throughput: panel {panel_rate:,.0f} windows/s vs one series {single_rate:,.0f} windows/s "
          f"({panel_rate / single_rate:.2f}x)")
    floors = {"prepare < 30 s": prepare_s < 30, "predict < 20 s": predict_s < 20, "evaluate < 30 s": evaluate_s < 30,
              "throughput >= 0.9x single series": panel_rate >= 0.9 * single_rate,
              "prepare's RSS growth below the materialised windows": grown < as_windows}
    print("floors: " + ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in floors.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
