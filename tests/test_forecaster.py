import io
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.errors import ConfigError, DataError, LeakageWarning, NotFittedError

TINY = ModelConfig(units=(8,))


def small(**kwargs):
    # refit=False, reference_fallback=False: these tests check one trained network; tests/test_ensembles_and_references.py
    # checks the refit and the fallback to the reference forecast
    settings = dict(lookback=48, horizon=6, target="temp", model=TINY, epochs=2, verbose=0, seed=0, refit=False,
                    reference_fallback=False)
    settings.update(kwargs)
    return Forecaster(**settings)


@pytest.fixture(scope="module")
def data():
    return lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:1400]


@pytest.fixture(scope="module")
def fitted(data):
    return small().fit(data.iloc[:1000])


def test_constructor_stores_arguments_verbatim():
    model = ModelConfig(units=(32,))
    fc = Forecaster(lookback=60, horizon=3, target=["a", "b"], model=model, epochs=7)
    params = fc.get_params()
    assert params["target"] == ["a", "b"] and params["model"] is model and params["epochs"] == 7
    assert repr(fc).startswith("Forecaster(lookback=60, horizon=3, target=['a', 'b']")
    assert not hasattr(fc, "model_")


def test_using_it_before_fit_is_a_clear_error(data):
    with pytest.raises(NotFittedError, match=r"not fitted yet.*fit\(data\)"):
        Forecaster(target="temp").predict(data)


def test_fit_returns_self_with_fitted_state(fitted, data):
    assert fitted.fit_end_ == data.index[999]
    assert fitted.freq_ == "h" and fitted.season_length_ == 24
    assert fitted.spec_.lookback == 48 and fitted.spec_.targets == ("temp",)
    assert len(fitted.history_["loss"]) == 2 and "val_loss" in fitted.history_
    assert fitted.scaler_.estimator_.n_samples_seen_ == 900  # training rows only: 10% validation held out


def test_predict_returns_future_timestamps_in_original_units(fitted, data):
    forecast = fitted.predict(data.iloc[:1000])
    expected_index = pd.date_range(data.index[999] + pd.Timedelta(hours=1), periods=6, freq="h")
    assert forecast.index.equals(expected_index)
    assert list(forecast.columns) == ["temp"]
    recent = data["temp"].iloc[900:1000]
    assert recent.min() - 10 < forecast["temp"].min() and forecast["temp"].max() < recent.max() + 10


def test_predict_uses_only_the_last_lookback_rows(fitted, data):
    full = fitted.predict(data.iloc[:1000])
    short = fitted.predict(data.iloc[1000 - 48 : 1000])
    pd.testing.assert_frame_equal(full, short)


def test_predict_needs_lookback_rows(fitted, data):
    with pytest.raises(DataError, match=r"at least lookback=48 rows.*received 10"):
        fitted.predict(data.iloc[:10])


def test_predict_refuses_nan_and_wrong_columns(fitted, data):
    broken = data.iloc[:100].copy()
    broken.iloc[90, 0] = np.nan
    with pytest.raises(DataError, match="'temp' has 1 missing") as error:
        fitted.predict(broken)
    assert f"at index {broken.index[90]};" in str(error.value)  # where it is in the frame given, not in the rows read
    early_gap = data.iloc[:100].copy()
    early_gap.iloc[10, 0] = np.nan  # before the last lookback rows: not used, not an error
    pd.testing.assert_frame_equal(fitted.predict(early_gap), fitted.predict(data.iloc[:100]))
    with pytest.raises(DataError, match="'temp' not found"):
        fitted.predict(data.iloc[:100].rename(columns={"temp": "t"}))


def test_backtest_equals_repeated_predict(fitted, data):
    results = fitted.backtest(data, start=1100, stride=50)
    assert list(results.columns) == ["origin", "timestamp", "step", "target", "forecast", "actual", "naive", "seasonal_naive"]
    for origin in results["origin"].unique()[:3]:
        row = data.index.get_loc(origin)
        expected = fitted.predict(data.iloc[: row + 1])["temp"].to_numpy()
        got = results.loc[results["origin"] == origin, "forecast"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_backtest_rows_and_baselines(fitted, data):
    results = fitted.backtest(data, stride=10)
    first_origin = data.index.get_loc(results["origin"].iloc[0])
    assert first_origin == 999  # default start: the first row after the training data
    rows = results[results["origin"] == results["origin"].iloc[0]]
    values = data["temp"].to_numpy()
    np.testing.assert_allclose(rows["actual"], values[1000:1006])
    np.testing.assert_allclose(rows["naive"], values[999])
    np.testing.assert_allclose(rows["seasonal_naive"], values[1000 - 24 : 1006 - 24])
    assert rows["step"].tolist() == [1, 2, 3, 4, 5, 6]
    assert (results["timestamp"] > fitted.fit_end_).all()
    last_origin = data.index.get_loc(results["origin"].iloc[-1])
    assert last_origin + 6 <= len(data) - 1


def test_backtest_inside_the_training_data_warns(fitted, data):
    with pytest.warns(LeakageWarning, match="in-sample") as record:
        fitted.backtest(data, start=500, stride=100)
    assert record[0].filename == __file__  # the warning points at the caller's line
    with pytest.warns(LeakageWarning) as record:
        fitted.evaluate(data, start=500, stride=100)
    assert record[0].filename == __file__


def test_backtest_without_new_data_explains_itself(fitted, data):
    with pytest.raises(DataError, match="no rows after the training data"):
        fitted.backtest(data.iloc[:1000])
    # The timestamps dropped: the rows cannot be placed after the training data, and the error says why.
    with pytest.raises(DataError, match="trained on data indexed by timestamps.*this data has a row index"):
        fitted.backtest(data.reset_index(drop=True))
    with pytest.raises(DataError, match=r"`start` must be a timestamp.*start='not a date'"):
        fitted.backtest(data, start="not a date")
    with pytest.raises(DataError, match=r"start='2024-01-01'` is a timestamp, but this data has a row index"):
        fitted.backtest(data.reset_index(drop=True), start="2024-01-01")
    assert len(fitted.backtest(data.reset_index(drop=True), start=1100, stride=100)) > 0  # a row number places it
    # A negative row number counts from the end, as `iloc` does (it used to start at the first window, in-sample).
    pd.testing.assert_frame_equal(fitted.backtest(data, start=-300, stride=50), fitted.backtest(data, start=1100, stride=50))
    with pytest.raises(DataError, match=r"start=-1401 counts back past the first row: the data has 1400 rows"):
        fitted.backtest(data, start=-1401)
    # True is the integer 1 to Python: it started an in-sample backtest at the second row. by_target="temp" read as True.
    with pytest.raises(DataError, match=r"`start` must be a timestamp.*start=True"):
        fitted.backtest(data, start=True)
    with pytest.raises(ConfigError, match=r"`by_target` must be True or False. Received: by_target='temp'"):
        fitted.evaluate(data, by_target="temp")


def test_evaluate_matches_hand_computed_metrics(fitted, data):
    table = fitted.evaluate(data, stride=7)
    results = fitted.backtest(data, stride=7)
    errors = (results["forecast"] - results["actual"]).abs()
    history = data["temp"].to_numpy()[:1000]
    scale = np.mean(np.abs(history[24:] - history[:-24]))
    assert table.loc["model", "MAE"] == pytest.approx(errors.mean())
    assert table.loc["model", "RMSE"] == pytest.approx(np.sqrt(((results["forecast"] - results["actual"]) ** 2).mean()))
    assert table.loc["model", "MASE"] == pytest.approx(errors.mean() / scale)
    naive_mae = (results["naive"] - results["actual"]).abs().mean()
    assert table.loc["naive", "MAE"] == pytest.approx(naive_mae)
    assert list(table.columns) == ["MAE", "RMSE", "MAPE", "sMAPE", "MASE"]


def test_score_is_the_negative_mase_of_the_backtest(fitted, data):
    score = fitted.score(data, stride=7)
    assert isinstance(score, float) and score < 0  # higher is better, as scikit-learn's error scorers
    assert score == pytest.approx(-fitted.evaluate(data, stride=7).loc["model", "MASE"])
    assert fitted.score(data, start=1100, stride=50) == pytest.approx(-fitted.evaluate(data, start=1100, stride=50).loc["model", "MASE"])
    with pytest.raises(DataError, match="no rows after the training data"):
        fitted.score(data.iloc[:1000])


def test_multiple_targets_and_a_past_covariate():
    rng = np.random.default_rng(0)
    index = pd.date_range("2024-01-01", periods=600, freq="h")
    steps = np.arange(600)
    frame = pd.DataFrame(
        {"a": np.sin(steps / 10) + rng.normal(0, 0.05, 600), "b": np.cos(steps / 10), "c": rng.normal(size=600)},
        index=index,
    )
    fc = Forecaster(lookback=24, horizon=4, target=["a", "b"], features=["a", "b", "c"], model=TINY,
                    epochs=1, verbose=0, seed=0).fit(frame.iloc[:500])
    forecast = fc.predict(frame.iloc[:500])
    assert forecast.shape == (4, 2) and list(forecast.columns) == ["a", "b"]
    by_target = fc.evaluate(frame, by_target=True)
    assert set(by_target.index.get_level_values("target")) == {"a", "b"}
    pooled = fc.evaluate(frame)
    assert pooled.loc["model", "MASE"] == pytest.approx(by_target.xs("model", level="method")["MASE"].mean())


def test_numpy_input_gets_a_row_index():
    values = np.sin(np.arange(300) / 5.0)
    fc = Forecaster(lookback=20, horizon=3, model=TINY, epochs=1, verbose=0).fit(values)
    forecast = fc.predict(values)
    assert forecast.index.tolist() == [300, 301, 302]
    assert list(forecast.columns) == [0]


def test_recursive_strategy_forecasts_the_full_horizon(data):
    fc = small(strategy="recursive", calendar=("hour",)).fit(data.iloc[:1000])
    assert fc.model_.output_shape == (None, 1, 1)
    forecast = fc.predict(data.iloc[:1000])
    assert forecast.shape == (6, 1)
    results = fc.backtest(data, start=1100, stride=100)
    np.testing.assert_allclose(
        results.loc[results["origin"] == data.index[1099], "forecast"], fc.predict(data.iloc[:1100])["temp"], rtol=1e-5
    )


def test_recursive_strategy_refuses_past_covariates(data):
    frame = data.assign(other=np.arange(len(data), dtype=float))
    with pytest.raises(ConfigError, match="strategy='recursive'.*exactly the targets"):
        small(strategy="recursive", features=["temp", "other"]).fit(frame)


def test_auto_window_norm_follows_the_best_reference_forecast(fitted):
    # Seattle's hourly normals: a daily cycle that shifts slowly, so last day's profile plus its change wins.
    assert fitted.model_config_.window_norm == "seasonal_drift"
    rng = np.random.default_rng(1)
    index = pd.date_range("2024-01-01", periods=400, freq="h")
    cases = {
        "last": 100 + np.cumsum(rng.normal(size=400)),  # a random walk
        "drift": 0.5 * np.arange(400) + rng.normal(scale=0.2, size=400),  # a straight trend, no cycle
        "seasonal": 5 * np.sin(2 * np.pi * np.arange(400) / 24) + rng.normal(scale=0.2, size=400),  # a fixed cycle
    }
    for expected, values in cases.items():
        fc = Forecaster(lookback=30, horizon=3, target="p", model=TINY, epochs=1, verbose=0, refit=False)
        assert fc.fit(pd.DataFrame({"p": values}, index=index)).model_config_.window_norm == expected


def test_auto_window_norm_is_none_where_the_features_leave_the_target_out():
    # Forecasting y from x alone: no reference can read y's past in the window, so "auto" takes "none" (it chose
    # "drift" here before and the model refused it, naming window_norm, which the user never set).
    index = pd.date_range("2024-01-01", periods=200, freq="D")
    frame = pd.DataFrame({"y": 0.5 * np.arange(200.0), "x": np.arange(200.0)}, index=index)
    fc = Forecaster(lookback=14, horizon=3, target="y", features=["x"], model=TINY, epochs=1, verbose=0, seed=0)
    assert fc.fit(frame).model_config_.window_norm == "none"
    assert fc.predict(frame).shape == (3, 1)
    both = Forecaster(lookback=14, horizon=3, target="y", features=["y", "x"], model=TINY, epochs=1, verbose=0, seed=0)
    assert both.fit(frame).model_config_.window_norm == "drift"  # with y among the inputs, its best reference


def test_validation_can_be_a_following_dataframe(data):
    fc = small(epochs=1).fit(data.iloc[:800], validation=data.iloc[800:1000])
    assert fc.scaler_.estimator_.n_samples_seen_ == 800
    assert fc.fit_end_ == data.index[999]


def test_bad_settings_are_refused(data):
    with pytest.raises(ConfigError, match="strategy='sideways'"):
        small(strategy="sideways").fit(data)
    with pytest.raises(ConfigError, match="lookback=0"):
        small(lookback=0).fit(data)
    with pytest.raises(ConfigError, match="name the column"):
        Forecaster().fit(pd.DataFrame({"a": [1.0] * 10, "b": [2.0] * 10}))


def test_save_and_load_in_a_fresh_process_give_identical_predictions(fitted, data, tmp_path):
    path = fitted.save(tmp_path / "bundle")
    history_csv = tmp_path / "history.csv"
    data.iloc[:1000].to_csv(history_csv)
    expected = fitted.predict(data.iloc[:1000])
    script = textwrap.dedent(
        f"""
        import pandas as pd, lstm_toolkit
        fc = lstm_toolkit.load({str(path)!r})
        history = pd.read_csv({str(history_csv)!r}, index_col=0, parse_dates=True)
        print(fc.predict(history).to_json(orient="split", double_precision=15))
        """
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    restored = pd.read_json(io.StringIO(output.stdout.strip().splitlines()[-1]), orient="split")
    np.testing.assert_array_equal(restored["temp"].to_numpy(), expected["temp"].to_numpy())
    loaded = Forecaster.load(path)
    assert loaded.get_params()["lookback"] == 48 and loaded.fit_end_ == fitted.fit_end_
    assert loaded.model_config_ == fitted.model_config_
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.testing.assert_frame_equal(loaded.evaluate(data, stride=50), fitted.evaluate(data, stride=50))


def test_fit_under_a_distribution_strategy(data):
    import tensorflow as tf

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    fc = small(epochs=1, distribution=strategy).fit(data.iloc[:600])
    assert fc.predict(data.iloc[:600]).shape == (6, 1)
    assert fc.get_params()["distribution"] is strategy


def test_fill_policy_applies_to_fit_and_predict(data):
    gappy = data.iloc[:700].copy()
    gappy.iloc[[100, 650], 0] = np.nan
    with pytest.raises(DataError, match="fill="):
        small(epochs=1).fit(gappy)
    fc = small(epochs=1, fill="interpolate").fit(gappy)
    assert np.isfinite(fc.predict(gappy).to_numpy()).all()


# --- known-future covariates --------------------------------------------------------------------
# These tests (and the many-series ones) check what the trained network reads: reference_fallback=False keeps
# it even where one or two epochs leave it worse than its reference forecast.


@pytest.fixture(scope="module")
def promo_frame():
    """Daily sales lifted by a planned promotion (known ahead) and a past-only temperature."""
    rng = np.random.default_rng(0)
    index = pd.date_range("2022-01-01", periods=500, freq="D")
    promo = (rng.random(500) < 0.2).astype(float)
    temperature = rng.normal(size=500).cumsum()
    sales = 10 + 5 * promo + 0.2 * rng.normal(size=500)
    return pd.DataFrame({"sales": sales, "promo": promo, "temperature": temperature}, index=index)


@pytest.mark.parametrize("architecture", ["stacked", "seq2seq"])
def test_future_covariates_are_read_over_the_horizon(promo_frame, architecture):
    fc = Forecaster(lookback=14, horizon=3, target="sales", features=["sales", "temperature"],
                    future_covariates=["promo"], model=ModelConfig(units=(8,), architecture=architecture),
                    epochs=2, verbose=0, seed=0, reference_fallback=False).fit(promo_frame.iloc[:400])
    assert fc.spec_.input_columns == ("sales", "temperature", "promo")
    index = pd.date_range("2023-02-05", periods=3, freq="D")
    history = promo_frame.iloc[:400]
    on = fc.predict(history, future=pd.DataFrame({"promo": [1.0, 1.0, 1.0]}, index=index))
    off = fc.predict(history, future=pd.DataFrame({"promo": [0.0, 0.0, 0.0]}, index=index))
    assert (on["sales"] - off["sales"]).abs().min() > 1e-4  # the planned promotion changes the forecast
    with pytest.raises(DataError, match=r"predict\(history, future=frame\)"):
        fc.predict(history)
    with pytest.raises(DataError, match="lacks the future covariate column"):
        fc.predict(history, future=pd.DataFrame({"price": [1.0] * 3}, index=index))
    with pytest.raises(DataError, match="no row for 1 forecast step"):
        fc.predict(history, future=pd.DataFrame({"promo": [1.0, 1.0]}, index=index[:2]))
    assert len(fc.backtest(promo_frame)) == (500 - 400 - 3 + 1) * 3  # backtests read them from the data
    with pytest.raises(ConfigError, match="future covariates"):
        fc.streamer()


def test_fit_judges_on_the_same_numbers_with_its_passes_compiled_or_eager(promo_frame, monkeypatch, compiled_passes):
    # `fit` reads the validation windows (the judge, the ridge's check) and the ridge's sample through
    # `backend.in_inference_mode`, compiled for many window rows, eager for few: the same fit either way, here on a
    # model of two inputs (the windows and the future covariates over the horizon).
    index = pd.date_range("2023-02-05", periods=3, freq="D")
    forecasts, counts = [], []
    for rows in (0, 10**9):  # every pass compiled, then every pass eager
        monkeypatch.setattr(lstm_toolkit.backend, "EAGER_MAX_ROWS", rows)
        before = len(compiled_passes)
        fc = Forecaster(lookback=14, horizon=3, target="sales", features=["sales", "temperature"],
                        future_covariates=["promo"], model=ModelConfig(units=(8,)), epochs=2, verbose=0,
                        seed=0).fit(promo_frame.iloc[:400])
        forecasts.append(fc.predict(promo_frame.iloc[:400], future=pd.DataFrame({"promo": [1.0] * 3}, index=index)))
        counts.append(len(compiled_passes) - before)
    assert counts[0] >= 3 and counts[1] == 0  # the network's and the reference's losses, the ridge's sample, ...
    pd.testing.assert_frame_equal(forecasts[0], forecasts[1], rtol=1e-6)


def test_a_past_only_covariate_cannot_leak(promo_frame):
    fc = Forecaster(lookback=14, horizon=3, target="sales", features=["sales", "temperature"],
                    future_covariates=["promo"], model=ModelConfig(units=(8,)), epochs=1, verbose=0,
                    seed=0, reference_fallback=False).fit(promo_frame.iloc[:400])
    changed = promo_frame.copy()
    changed.loc[changed.index[450]:, "temperature"] += 100.0  # the past-only covariate changes from row 450 on
    before, after = fc.backtest(promo_frame), fc.backtest(changed)
    unaffected = before["origin"] < promo_frame.index[450]  # forecasts made before the change
    np.testing.assert_allclose(before.loc[unaffected, "forecast"], after.loc[unaffected, "forecast"], atol=1e-9)
    assert not np.allclose(before.loc[~unaffected, "forecast"], after.loc[~unaffected, "forecast"])
    with pytest.raises(ConfigError, match="both a target and a future covariate"):
        Forecaster(lookback=14, target="sales", future_covariates=["sales"]).fit(promo_frame)


def test_future_covariates_named_by_an_array_are_read_as_names(promo_frame):
    # `df.columns`-style arrays name columns too; the streamer's check read an array of two as "ambiguous truth value".
    fc = Forecaster(lookback=14, horizon=2, target="sales", future_covariates=np.array(["promo", "temperature"]),
                    model=ModelConfig(units=(4,)), epochs=1, verbose=0, seed=0).fit(promo_frame.iloc[:200])
    assert fc.spec_.input_columns == ("sales", "promo", "temperature")
    with pytest.raises(ConfigError, match="future covariates"):
        fc.streamer()


# --- many series, one model ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def employment():
    wide = lstm_toolkit.datasets.load("us_employment_monthly")
    long = wide.iloc[:, :4].reset_index().melt(id_vars="month", var_name="sector", value_name="jobs")
    return wide, long


def test_one_model_for_many_series(employment, tmp_path):
    wide, long = employment
    train = long[long["month"] < wide.index[-12]]
    two = long[(long["sector"] == "nonfarm") & (long["month"] < wide.index[2])].assign(sector="two")
    with pytest.warns(UserWarning, match=r"1 of 5 series were left out of training: 1 get the naive forecast \(\['two'\]\)"):
        fc = Forecaster(lookback=12, horizon=6, target="jobs", time_col="month", series_id="sector", validation=12,
                        model=ModelConfig(units=(8,)), epochs=2, verbose=0, seed=0, refit=False).fit(pd.concat([train, two]))
    assert list(fc.skipped_series_) == ["two"] and "row count" in fc.skipped_series_["two"]
    assert set(fc.scalers_) == set(wide.columns[:4])
    # each series is scaled on its own training part
    nonfarm = fc.scalers_["nonfarm"].estimator_.mean_[0]
    assert nonfarm == pytest.approx(train.loc[train["sector"] == "nonfarm", "jobs"].iloc[:-12].mean())
    forecast = fc.predict(train)
    assert list(forecast.columns) == ["sector", "jobs"] and len(forecast) == 4 * 6
    with pytest.warns(UserWarning, match=r"1 series were left out of training and get the naive forecast.*\(\['two'\]\)") as record:
        with_two = fc.predict(pd.concat([train, two]))
    assert record[0].filename == __file__  # the warning names the caller's line, not the package's
    pd.testing.assert_frame_equal(with_two[with_two["sector"] != "two"], forecast)
    naive = with_two[with_two["sector"] == "two"]  # its last value, over the horizon's months
    assert (naive["jobs"] == two["jobs"].iloc[-1]).all() and list(naive.index) == list(pd.date_range(
        two["month"].iloc[-1], periods=7, freq="MS")[1:])
    with pytest.warns(UserWarning, match="get no backtest") as record:
        fc.backtest(pd.concat([long, two]))
    assert record[0].filename == __file__
    alone = fc.for_series("private").predict(train[train["sector"] == "private"].drop(columns="sector"))
    np.testing.assert_allclose(forecast.loc[forecast["sector"] == "private", "jobs"], alone["jobs"])
    per_series = fc.evaluate(long, by_series=True)
    assert per_series.index.names == ["sector", "method"] and len(per_series) == 4 * 3
    overall = fc.evaluate(long)
    np.testing.assert_allclose(overall.loc["model", "MASE"], per_series.xs("model", level="method")["MASE"].mean())
    assert fc.score(long) == pytest.approx(-overall.loc["model", "MASE"])  # one number: the mean over series
    assert set(fc.backtest(long)["sector"]) == set(wide.columns[:4])
    loaded = lstm_toolkit.load(fc.save(tmp_path / "global"))
    pd.testing.assert_frame_equal(loaded.predict(train), forecast)
    with pytest.raises(DataError, match="was not trained on"):
        fc.for_series("mining")
    with pytest.raises(ConfigError, match="for_series"):
        fc.streamer()


def test_a_global_model_reads_each_series_future_covariates(promo_frame):
    stores = pd.concat([promo_frame.assign(store=name) for name in ("north", "south")])
    history = stores[stores.index < promo_frame.index[400]]
    fc = Forecaster(lookback=14, horizon=3, target="sales", future_covariates=["promo"], series_id="store",
                    model=ModelConfig(units=(8,)), epochs=1, verbose=0, seed=0, reference_fallback=False).fit(history)
    steps = promo_frame.index[400:403]
    plans = pd.DataFrame({"store": ["north"] * 3 + ["south"] * 3, "promo": [0, 0, 0, 1, 1, 1]},
                         index=steps.append(steps))
    forecast = fc.predict(history, future=plans)
    assert list(forecast.columns) == ["store", "sales"] and len(forecast) == 6
    north, south = (forecast.loc[forecast["store"] == key, "sales"].to_numpy() for key in ("north", "south"))
    assert not np.allclose(north, south)  # same history, different plans
    with pytest.raises(DataError, match=r"pass their values of series 'south' for the forecast steps 2023-02-05 00:00:00 "
                                        r"to 2023-02-07 00:00:00 as predict\(history, future=frame\)"):
        fc.predict(history, future=plans[plans["store"] == "north"])
    with pytest.raises(DataError, match=r"`future` of series 'north' has no row for 1 forecast step\(s\): \['2023-02-07"):
        fc.predict(history, future=plans.iloc[[0, 1, 3, 4, 5]])  # north's third step left out
    # the series id is no input or output: naming it as one is refused before the data is read
    for role in ({"target": "store"}, {"features": ["sales", "store"]}, {"future_covariates": ["store"]},
                 {"static_features": ["store"]}, {"time_col": "store"}):
        keywords = {"lookback": 14, "horizon": 3, "target": "sales", "series_id": "store", **role}
        with pytest.raises(ConfigError, match=rf"`{next(iter(role))}` names series_id='store', the column that says "
                                              r"which series a row belongs to: give .* (another column|other columns)"):
            Forecaster(**keywords).prepare(history)


def test_series_embedding_and_static_features(employment, tmp_path):
    wide, long = employment
    long = long.assign(size=long.groupby("sector")["jobs"].transform(lambda v: np.log(v.iloc[0])))
    train = long[long["month"] < wide.index[-12]]
    fc = Forecaster(lookback=12, horizon=3, target="jobs", time_col="month", series_id="sector", validation=12,
                    series_embedding=3, static_features=["size"], model=ModelConfig(units=(8,)), epochs=1,
                    verbose=0, seed=0, reference_fallback=False).fit(train)
    assert [i.name for i in fc.model_.inputs] == ["window", "series", "static"]
    assert fc.model_.get_layer("series_embedding").get_weights()[0].shape == (4, 3)
    assert "size" not in fc.spec_.input_columns  # static, not an input over time
    sizes = np.log(wide.iloc[0, :4].to_numpy())
    np.testing.assert_allclose(fc.static_["mean"], [sizes.mean()])
    # the same window gives another forecast when the model is told it is another series
    windows = fc.windows(train[train["sector"] == "nonfarm"].drop(columns=["sector", "size"]), ends=[80])
    forecasts = [fc.for_series(key).predict_windows(windows) for key in ("nonfarm", "private")]
    assert not np.allclose(*forecasts)
    forecast = fc.predict(train)
    assert len(forecast) == 4 * 3 and "size" not in forecast.columns
    loaded = lstm_toolkit.load(fc.save(tmp_path / "embedded"))
    pd.testing.assert_frame_equal(loaded.predict(train), forecast)
    assert loaded.series_codes_ == fc.series_codes_
    with pytest.raises(ConfigError, match="series_embedding"):
        fc.for_series("nonfarm").export(tmp_path / "m.tflite")
    varying = train.assign(size=np.arange(len(train), dtype=float))
    with pytest.raises(DataError, match="one value per series"):
        Forecaster(lookback=12, target="jobs", time_col="month", series_id="sector", static_features=["size"]).fit(varying)
    with pytest.raises(DataError, match="lacks the static feature"):
        Forecaster(lookback=12, target="jobs", time_col="month", series_id="sector", static_features=["area"]).fit(train)
    with pytest.raises(ConfigError, match="many series"):
        Forecaster(lookback=12, target="jobs", series_embedding=2).fit(wide[["nonfarm"]].rename(columns={"nonfarm": "jobs"}))
    with pytest.raises(ConfigError, match="series_embedding"):
        Forecaster(lookback=12, target="jobs", time_col="month", series_id="sector", series_embedding=-1).fit(train)
    # A misspelt series_id was named with no fix.
    with pytest.raises(DataError, match=r"series_id='sectors' is not a column of the data \(its columns are \[.*'sector'.*\]\)\. "
                                        r"Pass a DataFrame with the column naming each row's series, or a dict"):
        Forecaster(lookback=12, target="jobs", time_col="month", series_id="sectors").fit(train)
    with pytest.raises(DataError, match=r"\(it is of type ndarray\)"):
        fc.predict(train[["jobs"]].to_numpy())


def test_a_dict_of_frames_trains_a_global_model(employment):
    wide, _ = employment
    frames = {name: wide[[name]].rename(columns={name: "jobs"}) for name in wide.columns[:2]}
    fc = Forecaster(lookback=12, horizon=3, target="jobs", validation=0, model=ModelConfig(units=(4,)),
                    epochs=1, verbose=0, seed=0).fit(frames)
    assert fc.n_train_windows_ == 2 * (120 - 12 - 3 + 1)  # windows of both series, none across them
    assert len(fc.predict(frames)) == 2 * 3


@pytest.mark.parametrize("settings", [dict(series_embedding=3, static_features=["size"]),
                                      dict(strategy="recursive", series_embedding=2)], ids=["embedded", "recursive"])
def test_many_series_forecast_in_one_pass_as_each_series_alone(employment, settings):
    wide, long = employment
    long = long.assign(size=long.groupby("sector")["jobs"].transform(lambda v: np.log(v.iloc[0])))
    columns = ["month", "sector", "jobs"] + (["size"] if "static_features" in settings else [])
    long = long[columns]
    train = long[long["month"] < wide.index[-12]]
    fc = Forecaster(lookback=12, horizon=3, target="jobs", time_col="month", series_id="sector", validation=12,
                    model=ModelConfig(units=(8,)), epochs=1, verbose=0, seed=0, **settings).fit(train)
    forecast, backtests = fc.predict(train), fc.backtest(long)
    per_series = fc.evaluate(long, by_series=True)
    for key in wide.columns[:4]:
        own, own_long = (frame[frame["sector"] == key].drop(columns=["sector", "size"], errors="ignore") for frame in (train, long))
        alone = fc.for_series(key)
        np.testing.assert_allclose(forecast[forecast["sector"] == key].drop(columns="sector"), alone.predict(own), rtol=1e-5)
        np.testing.assert_allclose(backtests[backtests["sector"] == key]["forecast"], alone.backtest(own_long)["forecast"],
                                   rtol=1e-5)
        np.testing.assert_allclose(per_series.loc[key], alone.evaluate(own_long), rtol=1e-5)


def test_a_panel_of_short_series_forecasts_every_series(tmp_path):
    """Series shorter than lookback + horizon are padded and trained on; shorter still, forecast; constant: naive."""
    rng = np.random.default_rng(0)
    frames = {f"s{k}": pd.DataFrame({"value": 100 + np.cumsum(rng.normal(1.0, 2.0, n))},
                                    index=pd.date_range("1960-01-01", periods=n, freq="YS"))
              for k, n in enumerate([40, 35, 30, 12, 7])}
    frames["flat"] = pd.DataFrame({"value": np.full(20, 7.0)}, index=pd.date_range("1990-01-01", periods=20, freq="YS"))
    with pytest.warns(UserWarning, match=r"2 of 6 series were left out of training: 1 get the naive forecast "
                                         r"\(\['flat'\]\).*1 are too short for a training window even padded \(\['s4'\]\)"):
        fc = Forecaster(lookback=8, horizon=4, target="value", validation=4, model=ModelConfig(units=(8,)), epochs=2,
                        verbose=0, seed=0, refit=False).fit(frames)
    assert {scaler.kind for scaler in fc.scalers_.values()} == {"naive"}  # scaler="auto": each series as MASE weighs it
    assert "constant" in fc.skipped_series_["flat"] and "naive forecast" in fc.skipped_series_["flat"] and set(fc.scalers_) == {f"s{k}" for k in range(5)}
    with pytest.warns(UserWarning, match="left out of training"):
        train = Forecaster(**fc.get_params()).prepare(frames)  # s3 (12 rows: 8 for training) is padded and trains; s4 (3 for training) does not
    starts = {key: member.n_windows("train") for key, member in train.members.items()}
    assert starts["s3"] > 0 and starts["s4"] == 0 and train.members["s3"].lead == 4
    with_feature = {key: frame.assign(x=np.arange(len(frame)) % 3) for key, frame in frames.items() if key != "flat"}
    fc_feature = Forecaster(**{**fc.get_params(), "features": ["value", "x"]})
    with pytest.warns(UserWarning, match="left out of training"):
        fc_feature.prepare(with_feature)
    assert {scaler.kind for scaler in fc_feature.scalers_.values()} == {"standard"}  # a feature seldom changes: standard
    short = {key: frame.iloc[:5] if key == "s0" else frame for key, frame in frames.items()}  # 5 rows < lookback 8
    with pytest.warns(UserWarning, match="naive forecast"):
        forecast = fc.predict(short)
    assert forecast.groupby("series").size().to_dict() == {key: 4 for key in frames}
    assert np.isfinite(forecast["value"]).all() and (forecast.loc[forecast["series"] == "flat", "value"] == 7.0).all()
    loaded = lstm_toolkit.load(fc.save(tmp_path / "short"))
    assert loaded.problem_.pad_short
    with pytest.warns(UserWarning, match="naive forecast"):
        pd.testing.assert_frame_equal(loaded.predict(short), forecast)


def test_a_global_model_forecasts_and_backtests_a_series_it_was_not_trained_on_from_its_own_rows(tmp_path):
    """As NeuralForecast and Darts do: a new series is scaled on the rows given (a backtest: those before its first
    forecast), so a series that is another one scaled and shifted gets that one's forecast, scaled and shifted; too
    short to scale, the naive forecast."""
    rng = np.random.default_rng(3)
    index = pd.date_range("1970-01-01", periods=30, freq="YS")
    frames = {f"s{k}": pd.DataFrame({"value": 50 + np.cumsum(rng.normal(k, 2.0, 30))}, index=index) for k in range(4)}
    settings = dict(lookback=8, horizon=3, target="value", validation=0, model=ModelConfig(units=(8,)), epochs=2,
                    verbose=0, seed=0)
    fc = Forecaster(**settings).fit(frames)
    new = {"s1": frames["s1"], "new": 3 * frames["s1"] + 500, "three": frames["s2"].iloc[-3:]}
    forecast = fc.predict(new).groupby("series")["value"]
    np.testing.assert_allclose(forecast.get_group("new"), 3 * forecast.get_group("s1") + 500, rtol=1e-5)
    assert len(forecast.get_group("three")) == 3 and np.isfinite(forecast.get_group("three")).all()  # padded
    pd.testing.assert_frame_equal(lstm_toolkit.load(fc.save(tmp_path / "panel")).predict(new), fc.predict(new))
    flat = pd.DataFrame({"value": np.full(10, 7.0)}, index=index[:10])
    with pytest.warns(UserWarning, match=r"1 series were left out of training.*\(\['flat'\]\): It was not trained on, and"):
        naive = fc.predict({"s1": frames["s1"], "flat": flat})
    assert (naive.loc[naive["series"] == "flat", "value"] == 7.0).all()
    # A backtest scales a new series on its rows before the first forecast: there, as `predict` on those rows would.
    with pytest.raises(DataError, match="'new' was not trained on.*give `start=`"):
        fc.evaluate({**frames, "new": new["new"]})
    backtest = fc.backtest({"new": new["new"]}, start=index[20])
    first = backtest[backtest["origin"] == index[19]]["forecast"]
    np.testing.assert_allclose(first, fc.predict({"new": new["new"].iloc[:20]})["value"], rtol=1e-6)
    assert backtest["origin"].nunique() == 30 - 20 - 3 + 1 and np.isfinite(fc.evaluate({"new": new["new"]}, start=0.7).loc["model"]).all()
    with pytest.raises(DataError, match="'new' was not trained on.*`predict` and `backtest` forecast a new series"):
        fc.for_series("new")
    embedded = Forecaster(**{**settings, "epochs": 1, "series_embedding": 2}).fit(frames)
    with pytest.raises(DataError, match="reads which series it forecasts \\(a series embedding\\)"):
        embedded.predict(new)
    with pytest.raises(DataError, match="reads which series"):  # said before asking a backtest for `start=`
        embedded.evaluate({"new": new["new"]})


def test_auto_window_norm_counts_every_series_alike_and_reads_the_validation_part():
    from lstm_toolkit.data import SeriesCollection, WindowedSeries, WindowSpec
    from lstm_toolkit.forecasting.choices import auto_window_norm

    rng = np.random.default_rng(1)
    spec = WindowSpec(lookback=8, targets="y", horizon=4)

    def member(values, validation=0.2):
        return WindowedSeries.from_frame(pd.DataFrame({"y": values}), spec, validation=validation, scaler="none")

    walk = 1000 * np.cumsum(rng.normal(size=200))  # a large random walk: naive is best there, by a little
    trends = [np.arange(200) * slope + rng.normal(0, 0.1, 200) for slope in (1.0, 2.0, 3.0)]  # drift is far better
    assert auto_window_norm(member(walk), 8, 4, 1) == ("last", None)
    panel = SeriesCollection({"walk": member(walk), **{f"trend{k}": member(t) for k, t in enumerate(trends)}})
    assert auto_window_norm(panel, 8, 4, 1) == ("drift", None)  # in the walk's units alone, "last" would win
    # a series flat while training and trending in its validation part: only the validation part shows the trend
    turning = np.concatenate([rng.normal(0, 1.0, 160), 5.0 * np.arange(1, 41)])
    assert auto_window_norm(member(turning, validation=40), 8, 4, 1) == ("drift", None)
    assert auto_window_norm(member(turning[:160], validation=0), 8, 4, 1) == ("last", None)
    # "damped" is not among "auto"'s candidates; asked for, its coefficients are chosen the same way: noise around a
    # level wants a slow level
    mode, smoothing = auto_window_norm(member(turning[:160], validation=0), 8, 4, 1, modes=("damped",))
    assert mode == "damped" and smoothing[0] <= 0.2


def test_a_probabilistic_panel_gives_its_constant_series_the_naive_forecast_in_every_form():
    rng = np.random.default_rng(2)
    index = pd.date_range("2000-01-01", periods=40, freq="MS")
    frames = {f"s{k}": pd.DataFrame({"value": 50 + np.cumsum(rng.normal(0.5, 1.0, 40))}, index=index) for k in range(3)}
    frames["flat"] = pd.DataFrame({"value": np.full(40, 7.0)}, index=index)
    with pytest.warns(UserWarning, match=r"get the naive forecast \(\['flat'\]\)"):
        fc = Forecaster(lookback=8, horizon=3, target="value", loss="quantile", quantiles=(0.1, 0.5, 0.9),
                        model=ModelConfig(units=(4,)), epochs=1, verbose=0, seed=0, refit=False).fit(frames)
    with pytest.warns(UserWarning, match="naive forecast"):
        forecast = fc.predict(frames)
    flat = forecast[forecast["series"] == "flat"]
    assert list(forecast.columns) == ["series", "value", "value_q0.1", "value_q0.5", "value_q0.9"]
    assert len(flat) == 3 and (flat.drop(columns="series") == 7.0).all().all()  # every quantile is the last value
    with pytest.warns(UserWarning, match="naive forecast"):
        paths = fc.predict(frames, num_samples=4, seed=0)
    assert set(paths) == set(frames) and paths["flat"].shape == paths["s0"].shape == (4, 3, 1)
    assert (paths["flat"] == 7.0).all()


def test_batch_size_auto_doubles_the_batch_of_long_trainings(monkeypatch):
    import keras

    from lstm_toolkit.forecasting import choices

    monkeypatch.setattr(choices, "LARGE_BATCH_FROM", 300)  # a long training, at a test's size

    class Steps(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(self.params["steps"])

    values = pd.DataFrame({"y": np.sin(np.arange(500) / 7.0)}, index=pd.date_range("2024-01-01", periods=500, freq="D"))
    for batch_size, expected in (("auto", 128), (64, 64)):
        seen = []
        fc = Forecaster(lookback=8, horizon=2, target="y", model=TINY, epochs=1, verbose=0, seed=0, refit=False,
                        reference_fallback=False, level_member=False, batch_size=batch_size, callbacks=[Steps()]).fit(values)
        assert fc.problem_.n_train_windows >= 300
        assert seen == [int(np.ceil(fc.problem_.n_train_windows / expected))]
    assert choices.resolve_batch_size("auto", 299) == 64
    assert choices.resolve_batch_size("auto", 10**6, stateful=True) == 64  # a stateful batch is parallel segments
    with pytest.raises(ConfigError, match="batch_size.*positive integer or 'auto'.*'large'"):
        Forecaster(lookback=8, horizon=2, target="y", model=TINY, epochs=1, verbose=0, batch_size="large").fit(values)


# --- units="auto": the default network's size from the training windows ------------------------------------


def _noisy_sine(rows):
    steps = np.arange(rows)
    values = np.sin(2 * np.pi * steps / 12) + np.random.default_rng(0).normal(scale=0.1, size=rows)
    return pd.DataFrame({"y": values}, index=pd.date_range("2000-01-01", periods=rows, freq="D"))


def test_default_units_are_one_small_layer_for_a_short_series_and_two_of_64_otherwise():
    from lstm_toolkit.forecasting.choices import DEFAULT_UNITS, SMALL_NETWORK_WINDOWS, SMALL_UNITS

    short, long = Forecaster(lookback=4, target="y"), Forecaster(lookback=4, target="y")
    assert short.prepare(_noisy_sine(200)).n_windows("train") < SMALL_NETWORK_WINDOWS
    assert short.model_config_.units == SMALL_UNITS == (32,)
    assert long.prepare(_noisy_sine(800)).n_windows("train") >= SMALL_NETWORK_WINDOWS
    assert long.model_config_.units == DEFAULT_UNITS == (64, 64)
    given = Forecaster(lookback=4, target="y", model=ModelConfig(units=(16, 8)))
    given.prepare(_noisy_sine(200))
    assert given.model_config_.units == (16, 8)  # units given are kept


def test_the_refit_keeps_the_units_its_epochs_were_chosen_for():
    # 540 rows, lookback 4: 482 training windows for the first run (one layer of 32), 536 for the refit on all of
    # them, which alone would choose two layers of 64.
    fc = Forecaster(lookback=4, target="y", epochs=1, verbose=0, seed=0, reference_fallback=False).fit(_noisy_sine(540))
    assert "selection_loss" in fc.history_  # it refit
    assert fc.model_config_.units == (32,)
    lstm_layers = [layer for layer in fc.model_.layers if isinstance(layer, lstm_toolkit.backend.keras.layers.LSTM)]
    assert [layer.units for layer in lstm_layers] == [32]


def test_units_auto_round_trips_and_is_refused_where_a_model_is_built_directly():
    config = ModelConfig(units="auto")
    assert ModelConfig.from_dict(config.to_dict()) == config and config.to_dict()["units"] == "auto"
    with pytest.raises(ConfigError, match=r"units='auto' is chosen by the Forecaster.*ModelConfig\(units=\(64, 64\)\)"):
        lstm_toolkit.models.build_model(config, lookback=4, n_features=1)
    with pytest.raises(ConfigError, match="positive integers or 'auto'"):
        ModelConfig(units="big")


def test_a_panel_whose_timestamps_are_out_of_order_or_repeated_is_told_which_series_and_how_to_sort_it():
    months = pd.date_range("2020-01-01", periods=30, freq="MS")
    long = pd.concat([pd.DataFrame({"store": key, "month": months, "sales": np.arange(30.0) + shift})
                      for key, shift in (("a", 0.0), ("b", 5.0))], ignore_index=True)
    shuffled = long.sample(frac=1.0, random_state=0)
    panel = dict(lookback=6, horizon=2, target="sales", series_id="store", time_col="month")
    with pytest.raises(DataError, match=r"Series '[ab]': Timestamps are not sorted.*df\.sort_values\(\['store', 'month'\]\)"):
        Forecaster(**panel).prepare(shuffled)
    repeated = pd.concat([long, long.iloc[[3]]])
    with pytest.raises(DataError, match=r"Series 'a': Duplicate timestamp 2020-04-01.*"
                                        r"df\.drop_duplicates\(\['store', 'month'\], keep='last'\)"):
        Forecaster(**panel).prepare(repeated)
    # the fixes the errors name give the panel back
    df = shuffled
    assert Forecaster(**panel).prepare(df.sort_values(["store", "month"])).n_windows("train") > 0
    df = repeated.drop_duplicates(["store", "month"], keep="last")
    assert Forecaster(**panel).prepare(df.sort_values(["store", "month"])).n_windows("train") > 0


def test_a_panel_indexed_by_time_is_told_fixes_that_keep_every_series_rows():
    """Its rows of one month belong to different stores: `df[~df.index.duplicated()]` would drop store b's."""
    months = pd.date_range("2020-01-01", periods=30, freq="MS", name="month")
    long = pd.concat([pd.DataFrame({"store": key, "sales": np.arange(30.0) + shift}, index=months)
                      for key, shift in (("a", 0.0), ("b", 5.0))])
    panel = dict(lookback=6, horizon=2, target="sales", series_id="store")
    repeated = pd.concat([long, long.iloc[[3]].assign(sales=99.0)])
    with pytest.raises(DataError, match=r"Series 'a': Duplicate timestamp 2020-04-01") as error:
        Forecaster(**panel).prepare(repeated)
    aggregate, drop = re.findall(r"\((df\..*?)\)(?: or|\.$)", str(error.value))
    for fix, april in ((aggregate, (3.0 + 99.0) / 2), (drop, 99.0)):
        fixed = eval(fix, {"df": repeated})  # the code the error names, as the user would paste it
        assert len(fixed) == 60 and fixed.groupby("store").size().tolist() == [30, 30]
        assert fixed.loc[fixed["store"] == "a", "sales"].loc["2020-04-01"] == april
        assert Forecaster(**panel).prepare(fixed).n_windows("train") > 0
    shuffled = long.sample(frac=1.0, random_state=0)
    with pytest.raises(DataError, match=r"Timestamps are not sorted.*\((df\.sort_index\(kind='stable'\))\)") as error:
        Forecaster(**panel).prepare(shuffled)
    fixed = eval(re.search(r"\((df\.sort_index\(.*?\))\)", str(error.value)).group(1), {"df": shuffled})
    assert Forecaster(**panel).prepare(fixed).n_windows("train") == Forecaster(**panel).prepare(long).n_windows("train")


def test_a_panel_without_its_columns_is_told_so_not_that_its_series_are_too_short():
    """A column missing, or read as text, was each series' reason to be left out: "No series is long enough"."""
    months = pd.date_range("2020-01-01", periods=40, freq="MS")
    long = pd.concat([pd.DataFrame({"store": key, "month": months, "sales": np.arange(40.0)}) for key in "ab"])
    panel = dict(lookback=12, horizon=3, series_id="store", time_col="month")
    for keywords, data, message in (
            ({"target": "revenue"}, long, r"Target column 'revenue' not found\. Available columns: \['sales'\]\.$"),
            ({"target": "sales", "features": ["sales", "price"]}, long, r"Feature column 'price' not found"),
            ({"target": "sales"}, long.astype({"sales": str}), r"Target column 'sales' is not numeric")):
        with pytest.raises(DataError, match=rf"^Series 'a': {message}") as error:
            Forecaster(**panel, **keywords).prepare(data)
        assert "long enough" not in str(error.value)
    frames = {"a": long[long["store"] == "a"], "b": long[long["store"] == "b"].rename(columns={"sales": "revenue"})}
    with pytest.raises(DataError, match=r"^Series 'b': Target column 'sales' not found"):  # a dict: the series named
        Forecaster(lookback=12, horizon=3, target="sales", time_col="month").prepare(frames)


def test_predict_and_backtest_tell_a_panel_which_series_is_out_of_order_and_how_to_sort_the_long_frame():
    """As `fit` does: they named no series (nor the one with a missing value), and told a long frame to `sort_index()`
    or `groupby(level=0)`."""
    months = pd.date_range("2020-01-01", periods=30, freq="MS", name="month")
    long = pd.concat([pd.DataFrame({"store": key, "month": months, "sales": np.arange(30.0) + shift})
                      for key, shift in (("a", 0.0), ("b", 5.0))], ignore_index=True)
    fitted = Forecaster(lookback=6, horizon=2, target="sales", series_id="store", time_col="month",
                        model=ModelConfig(units=(2,)), epochs=1, verbose=0, seed=0, reference_fallback=False).fit(long)
    shuffled, repeated = long.sample(frac=1.0, random_state=0), pd.concat([long, long.iloc[[3]]])
    for forecast in (fitted.predict, lambda df: fitted.backtest(df, start=24)):
        with pytest.raises(DataError, match=r"^Series '[ab]': Timestamps are not sorted.*\(df\.sort_values\(\['store', 'month'\]\)\)"):
            forecast(shuffled)
        with pytest.raises(DataError, match=r"^Series 'a': Duplicate timestamp 2020-04-01.*"
                                            r"\(df\.drop_duplicates\(\['store', 'month'\], keep='last'\)\)"):
            forecast(repeated)
        indexed = repeated.set_index("month")  # a long frame indexed by its months: fixes that keep each store's rows
        with pytest.raises(DataError, match=r"^Series 'a': Duplicate timestamp.*df\.reset_index\(\)\.groupby\(\['store', 'month'\]\)"):
            forecast(indexed)
        with pytest.raises(DataError, match=r"^Series 'a': Duplicate timestamp.*df\.groupby\(level=0\)"):
            forecast({"a": repeated[repeated["store"] == "a"].drop(columns="store").set_index("month")})  # one frame each
        with pytest.raises(DataError, match=r"^Series 'b': Column 'sales' has 1 missing or infinite values, the first at "
                                            r"index 2022-03-01"):
            forecast(long.assign(sales=long["sales"].where(long.index != 56)))  # store b's 27th month
    assert fitted.predict(shuffled.sort_values(["store", "month"])).shape == (4, 2)


def test_an_unknown_loss_or_season_length_is_refused_before_any_training():
    frame = pd.DataFrame({"y": np.arange(60.0)}, index=pd.date_range("2024-01-01", periods=60, freq="D"))
    with pytest.raises(ConfigError, match=r"`loss` must be one of \('auto', 'mse', 'mae', 'quantile', 'gaussian', "
                                          r"'student_t'\)\. Received: loss='mape'"):
        Forecaster(lookback=7, target="y", loss="mape").fit(frame)  # 'mae' was a KeyError before it was a loss
    for season in (0, 2.5, True):
        with pytest.raises(ConfigError, match="`season_length` must be a positive integer"):
            Forecaster(lookback=7, target="y", season_length=season).prepare(frame)


def test_predict_windows_of_the_wrong_shape_is_a_data_error_that_names_the_shape(fitted, data):
    windows = fitted.windows(data.iloc[:1000], ends=[500, 900])
    assert fitted.predict_windows(windows).shape[0] == 2
    for wrong in (windows[:, 1:], windows[..., :0], windows[0]):  # a row short, no channel, no batch axis
        with pytest.raises(DataError, match=rf"shape \(n, {fitted.spec_.lookback}, {windows.shape[2]}\).*Received shape"):
            fitted.predict_windows(wrong)
    # A window holding NaN was forecast as NaN, with no word.
    with pytest.raises(DataError, match=r"`windows` hold NaN or inf; fill the data"):
        fitted.predict_windows(np.where(np.arange(windows.shape[1])[None, :, None] == 3, np.nan, windows))
    # Ends that are not row positions ended in numpy's UFuncTypeError; too few rows read "lie in [23, 4]".
    lookback = fitted.spec_.lookback
    for ends in (["x"], [0.5 + lookback], [lookback - 2], [1000]):
        with pytest.raises(DataError, match=rf"`ends` must be row positions from {lookback - 1} \(the end of the first "
                                            rf"full window\) to 999 for these 1000 rows"):
            fitted.windows(data.iloc[:1000], ends=ends)
    with pytest.raises(DataError, match=rf"The data has 5 rows; a window needs lookback={lookback} of them"):
        fitted.windows(data.iloc[:5])
