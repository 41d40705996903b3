"""Time indexes as pandas users bring them: periods, missing timestamps, flag columns (`data`, `Forecaster.fit`)."""

import io
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import lstm_toolkit
from lstm_toolkit import DataError, Forecaster, IrregularTimestampsWarning, MissingTimestampsWarning, ModelConfig
from lstm_toolkit.data.frame import parse_times
from lstm_toolkit.data.time_features import calendar_features
from lstm_toolkit.errors import LeakageWarning
from lstm_toolkit.forecasting.preparing import prepare
from lstm_toolkit.forecasting.settings import ForecastSettings

TINY = ModelConfig(units=(4,))


def _monthly(periods=96, seed=0):
    rng = np.random.default_rng(seed)
    steps = np.arange(periods)
    values = 100 + steps + 10 * np.sin(2 * np.pi * steps / 12) + rng.normal(0, 1, periods)
    return pd.DataFrame({"sales": values}, index=pd.date_range("2015-01-01", periods=periods, freq="MS"))


def _gap_warnings(call, category=MissingTimestampsWarning):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in caught if issubclass(w.category, category)]


def _time_warnings(call):
    """Both time-index warnings' messages, as (missing steps, irregular steps)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return tuple([str(w.message) for w in caught if w.category is category]
                 for category in (MissingTimestampsWarning, IrregularTimestampsWarning))


def _prepare(data, **settings):
    return lambda: prepare(ForecastSettings(**{"lookback": 24, "horizon": 3, "target": "y", **settings}), TINY, data)


def _wave(index):
    return pd.DataFrame({"y": np.sin(np.arange(len(index)) / 5.0)}, index=index)


def test_a_missing_month_is_named_and_the_series_stays_monthly():
    data = _monthly().drop(pd.Timestamp("2019-03-01"))
    forecaster = Forecaster(lookback=24, horizon=3, target="sales", model=TINY, epochs=1, verbose=0, seed=0)
    _, messages = _gap_warnings(lambda: forecaster.fit(data))
    assert messages and "2019-03-01" in messages[0] and "df.asfreq('MS')" in messages[0] and "fill=" in messages[0]
    # before, the index read as steps of "744h": no season, no seasonal reference
    assert (forecaster.freq_, forecaster.season_length_) == ("MS", 12)
    assert list(forecaster.predict(data).index.strftime("%Y-%m")) == ["2023-01", "2023-02", "2023-03"]


def test_the_fix_it_names_silences_it():
    data = _monthly().drop(pd.Timestamp("2019-03-01")).asfreq("MS")  # the gap becomes a NaN row
    settings = ForecastSettings(lookback=24, horizon=3, target="sales", fill="interpolate")
    (problem, series), messages = _gap_warnings(lambda: prepare(settings, TINY, data))
    assert messages == [] and series.n_windows("train") > 0


def test_an_index_of_integers_keeps_its_step_in_forecasts_and_names_a_skipped_label():
    years = pd.Index(np.arange(1900, 2100, 5), name="year")  # a reading every five years, the years as integers
    forecaster = Forecaster(lookback=6, horizon=3, target="y", model=TINY, epochs=1, verbose=0, seed=0)
    _, messages = _gap_warnings(lambda: forecaster.fit(_wave(years)))
    assert messages == []
    assert forecaster.predict(_wave(years)).index.tolist() == [2100, 2105, 2110]  # not 2096, 2097, 2098
    assert forecaster.predict(_wave(pd.RangeIndex(0, 200, 5))).index.tolist() == [200, 205, 210]
    _, messages = _gap_warnings(lambda: forecaster.predict(_wave(years).drop(2080)))  # a year of the window it reads
    assert len(messages) == 1 and "integer index (a step of 5): 1 missing (2080)" in messages[0]
    assert "df.reindex(range(df.index[0], df.index[-1] + 5, 5))" in messages[0]
    _, messages = _gap_warnings(lambda: forecaster.predict(_wave(years).drop(2080).reindex(years).interpolate()))
    assert messages == []  # the fix it names silences it
    filtered = _wave(pd.RangeIndex(60)).drop([10, 11])  # rows dropped from a frame numbered 0, 1, 2, ...
    _, messages = _gap_warnings(_prepare(filtered, lookback=6))
    assert "2 missing (10, 11)" in messages[0] and "df.reset_index(drop=True)" in messages[0]


def test_a_year_column_of_integers_as_read_csv_gives_it_stays_years():
    years = np.arange(1900, 1960)
    text = pd.DataFrame({"year": years, "y": np.sin(years / 3.0) + 2.0}).to_csv(index=False)
    data = pd.read_csv(io.StringIO(text))  # "year" is int64: pd.to_datetime read 1900 as 1900 ns after 1970
    forecaster = Forecaster(lookback=6, horizon=3, target="y", time_col="year", model=TINY, epochs=1, verbose=0, seed=0)
    forecaster.fit(data.iloc[:50])
    assert (forecaster.freq_, forecaster.season_length_, forecaster.fit_end_) == (None, 1, 1949)
    assert forecaster.predict(data.iloc[:50]).index.tolist() == [1950, 1951, 1952]
    table = forecaster.backtest(data)
    assert table["origin"].min() == 1949 and table["timestamp"].max() == 1959
    with pytest.raises(DataError, match=r"start=1955 counts rows, as `iloc` does.*at row 55: give start=55"):
        forecaster.backtest(data, start=1955)  # a year where a row number is meant
    panel = pd.concat([data.assign(shop="a"), data.iloc[20:].assign(shop="b")])
    forecast = Forecaster(lookback=6, horizon=3, target="y", time_col="year", series_id="shop", model=TINY, epochs=1,
                          verbose=0, seed=0).fit(panel).predict(panel)
    assert forecast.index.tolist() == [1960, 1961, 1962] * 2
    with pytest.raises(DataError, match=r"indexed by int64 labels, not dates.*pd.to_datetime\(df\['year'\].astype\(str\), format='%Y'\)"):
        Forecaster(lookback=6, horizon=3, target="y", time_col="year", calendar=["month"], model=TINY).fit(data)
    with pytest.raises(DataError, match=r"indexed by str labels, not dates\. Give a DatetimeIndex") as refused:
        calendar_features(pd.Index(["a", "b"], name="code"), ["month"])  # no years to read: no hint about them
    assert "format='%Y'" not in str(refused.value)
    big = [1_700_000_000_000_000_001, 1_700_000_000_000_000_002]  # past float64's 53 bits: kept exactly
    assert parse_times(pd.DataFrame({"t": big}), "t").tolist() == big
    with pytest.raises(DataError, match=r"Time column 'year' holds numbers with fractions.*astype\(int\).*unit='s'"):
        Forecaster(lookback=6, horizon=3, target="y", time_col="year").fit(data.assign(year=data["year"] + 0.5))
    with pytest.raises(DataError, match=r"Time column 'year' is missing \(or infinite\) in 1 row\(s\).*dropna\(subset=\['year'\]\)"):
        Forecaster(lookback=6, horizon=3, target="y", time_col="year").fit(data.astype({"year": float}).replace(1930, np.nan))
    with pytest.raises(DataError, match=r"Time column 'year' is missing \(or infinite\) in 1 row"):
        Forecaster(lookback=6, horizon=3, target="y", time_col="year").fit(data.astype({"year": float}).replace(1930, np.inf))


def test_quarter_labels_as_r_and_spreadsheets_write_them_are_quarterly_periods(tmp_path):
    quarters = pd.period_range("1970Q1", periods=40, freq="Q")
    labels = {"1970 Q1": [f"{q.year} Q{q.quarter}" for q in quarters], "1970-Q1": [f"{q.year}-Q{q.quarter}" for q in quarters]}
    for form, text in labels.items():  # "1970 Q1" is how fpp3's us_change (in the suite) writes them
        data = pd.read_csv(io.StringIO(pd.DataFrame({"quarter": text, "y": np.sin(np.arange(40) / 2.0)}).to_csv(index=False)))
        forecaster = Forecaster(lookback=8, horizon=2, target="y", time_col="quarter", model=TINY, epochs=1, verbose=0,
                                seed=0).fit(data.iloc[:36])
        assert forecaster.season_length_ == 4 and forecaster.fit_end_ == pd.Period("1978Q4", "Q"), form
        assert forecaster.predict(data.iloc[:36]).index.equals(pd.period_range("1979Q1", periods=2, freq="Q", name="quarter"))
        table = forecaster.backtest(data)
        assert table["timestamp"].iloc[-1] == pd.Period("1979Q4", "Q")
    forecaster.save(tmp_path / "bundle")
    assert lstm_toolkit.load(tmp_path / "bundle").predict(data).index[0] == pd.Period("1980Q1", "Q")
    with pytest.raises(DataError, match="Time column 'quarter' could not be parsed"):  # a quarter 5 is no quarter
        Forecaster(lookback=8, horizon=2, target="y", time_col="quarter").fit(data.assign(quarter="1970 Q5"))


def test_a_short_series_of_a_panel_on_integer_years_is_padded_at_their_step():
    panel = pd.concat([_wave(pd.Index(np.arange(1900, 2100, 5), name="year")).assign(shop="a"),
                       _wave(pd.Index(np.arange(2075, 2100, 5), name="year")).assign(shop="b")])  # b: under lookback
    forecaster = Forecaster(lookback=6, horizon=3, target="y", series_id="shop", model=TINY, epochs=1, verbose=0, seed=0)
    forecaster.fit(panel)
    forecast, messages = _gap_warnings(lambda: forecaster.predict(panel))
    assert messages == []  # b's padding rows come before 2075 at its step, not a step of 1 that skips labels
    assert forecast.loc[forecast["shop"] == "b"].index.tolist() == [2100, 2105, 2110]


def test_a_regular_index_and_trading_days_do_not_warn():
    _, messages = _gap_warnings(lambda: prepare(ForecastSettings(lookback=24, horizon=3, target="sales"), TINY, _monthly()))
    assert messages == []
    days = pd.bdate_range("2024-01-01", periods=120).delete([10, 50])  # holidays
    trading = pd.DataFrame({"close": np.linspace(1.0, 2.0, len(days))}, index=days)
    _, messages = _gap_warnings(lambda: prepare(ForecastSettings(lookback=20, horizon=2, target="close"), TINY, trading))
    assert messages == []


def test_a_panel_names_how_many_series_skip_steps_and_the_first():
    frames = [_monthly(seed=s).assign(shop=name) for s, name in enumerate(["a", "b", "c"])]
    frames[1] = frames[1].drop(pd.Timestamp("2018-06-01"))
    panel = pd.concat(frames).rename_axis("month").reset_index()
    settings = ForecastSettings(lookback=24, horizon=3, target="sales", series_id="shop", time_col="month")
    _, messages = _gap_warnings(lambda: prepare(settings, TINY, panel))
    assert len(messages) == 1 and "1 of 3 series (the first: 'b')" in messages[0] and "2018-06-01" in messages[0]
    assert "per series" in messages[0]


def test_a_period_index_and_a_flag_column_are_read_as_given():
    data = _monthly()
    data.index = data.index.to_period("M")
    data["promotion"] = np.arange(len(data)) % 6 == 0  # a bool column: 0 and 1
    forecaster = Forecaster(lookback=24, horizon=3, target="sales", features=["sales", "promotion"], model=TINY,
                            epochs=1, verbose=0, seed=0).fit(data)
    assert (forecaster.freq_, forecaster.season_length_) == ("MS", 12)
    forecast = forecaster.predict(data)
    # periods in, periods out: a DatetimeIndex of month starts joined to the user's frame matched no row
    assert forecast.index.equals(pd.period_range("2023-01", periods=3, freq="M"))
    assert np.isfinite(forecast["sales"]).all()
    with pytest.warns(LeakageWarning):  # fit on all of it: an in-sample backtest, from a period
        table = forecaster.backtest(data, start=pd.Period("2022-06", "M"))
    assert table["timestamp"].iloc[0] == pd.Period("2022-06", "M") and table["origin"].isin(data.index).all()


def test_multilevel_columns_are_refused_with_the_fix():
    data = _monthly()
    data.columns = pd.MultiIndex.from_tuples([("shop_a", "sales")])
    with pytest.raises(DataError, match=r"MultiIndex.*Flatten them first"):
        Forecaster(lookback=24, horizon=3, target="sales", model=TINY, epochs=1, verbose=0).fit(data)


def test_predict_refuses_data_of_another_frequency_and_takes_gaps_and_other_anchors():
    data = _monthly()
    forecaster = Forecaster(lookback=24, horizon=3, target="sales", model=TINY, epochs=1, verbose=0, seed=0,
                            reference_fallback=False).fit(data)
    weekly = data.iloc[-40:].set_axis(pd.date_range("2022-01-02", periods=40, freq="W-SUN"))
    with pytest.raises(DataError, match=r"not steps of the frequency the model was trained on \('MS'\).*aggregate it: "
                                        r"df.resample\('MS'\).mean\(\)"):
        forecaster.predict(weekly)
    yearly = data.iloc[-30:].set_axis(pd.date_range("1990-01-01", periods=30, freq="YS"))
    with pytest.raises(DataError, match=r"not steps of the frequency.*fit a model on data of this one"):
        forecaster.backtest(yearly)
    month_ends = data.set_axis(data.index + pd.offsets.MonthEnd(0))  # the same frequency, anchored otherwise
    assert len(forecaster.predict(month_ends)) == 3
    with pytest.warns(MissingTimestampsWarning):  # a missing month is not another frequency: a warning, no error
        assert len(forecaster.predict(data.drop(data.index[-5]))) == 3


def test_predict_and_evaluate_warn_about_the_rows_they_read():
    data = _monthly()
    forecaster = Forecaster(lookback=24, horizon=3, target="sales", model=TINY, epochs=1, verbose=0, seed=0,
                            reference_fallback=False).fit(data)
    assert _time_warnings(lambda: forecaster.predict(data)) == ([], [])
    # A month missing from the last 24 rows: the window reads the months on either side as consecutive.
    (missing, irregular) = _time_warnings(lambda: forecaster.predict(data.drop(data.index[-5])))
    assert len(missing) == 1 and irregular == [] and "skips steps of its frequency 'MS': 1 missing" in missing[0]
    # Further back than the window reaches, a gap does not change the forecast: no warning.
    assert _time_warnings(lambda: forecaster.predict(data.drop(data.index[10]))) == ([], [])
    missing, _ = _time_warnings(lambda: forecaster.evaluate(data.drop(data.index[10]), start=60))  # it reads every row
    assert len(missing) == 1
    mid_month = data.set_axis(data.index + pd.to_timedelta(np.arange(len(data)) % 3, "D"))
    _, irregular = _time_warnings(lambda: forecaster.predict(mid_month))
    assert len(irregular) == 1 and "df.resample('MS').mean()" in irregular[0]


def test_a_panels_predict_names_the_series_whose_rows_skip_steps():
    frames = [_monthly(seed=s).assign(shop=name) for s, name in enumerate("abc")]
    panel = pd.concat(frames).rename_axis("month").reset_index()
    forecaster = Forecaster(lookback=12, horizon=3, target="sales", series_id="shop", time_col="month", model=TINY,
                            epochs=1, verbose=0, seed=0, reference_fallback=False).fit(panel)
    last = panel["month"].max()
    gappy = panel.drop(panel.index[(panel["shop"] == "b") & (panel["month"] == last - pd.DateOffset(months=2))])
    missing, irregular = _time_warnings(lambda: forecaster.predict(gappy))
    assert len(missing) == 1 and "1 of 3 series (the first: 'b')" in missing[0] and irregular == []


def test_jittered_readings_warn_and_name_the_grid_to_resample_to():
    rng = np.random.default_rng(0)
    hours = pd.date_range("2024-01-01", periods=300, freq="h")
    data = _wave(hours + pd.to_timedelta(rng.integers(1, 50, len(hours)), "s"))  # logged a few seconds past the hour
    missing, irregular = _time_warnings(_prepare(data))
    assert missing == [] and len(irregular) == 1
    assert "on no regular grid" in irregular[0] and "df.resample('h').mean()" in irregular[0]
    assert "df.index.round('h')" in irregular[0]
    assert _time_warnings(_prepare(data.resample("h").mean())) == ([], [])  # the fix it names silences it


def test_mid_month_readings_warn_and_name_month_starts():
    data = _wave(pd.date_range("2010-01-01", periods=120, freq="MS") + pd.Timedelta(days=14))
    _, irregular = _time_warnings(_prepare(data))
    # no pandas frequency holds the 15th of every month: the steps read as 744 hours, with no season
    assert len(irregular) == 1 and "'744h'" in irregular[0] and "df.resample('MS').mean()" in irregular[0]
    assert "round" not in irregular[0]  # month starts are not a fixed step to round to


def test_regular_data_and_missing_steps_are_not_called_irregular():
    for index in (pd.date_range("2020-01-01", periods=200, freq="W-WED"), pd.date_range("2000-01-01", periods=120, freq="ME"),
                  pd.date_range("2024-01-01", periods=500, freq="15min").delete([40, 41])):
        _, irregular = _time_warnings(_prepare(_wave(index)))
        assert irregular == [], index.freqstr


def test_a_time_zone_keeps_days_on_the_wall_clock_and_hours_on_utc():
    days = pd.date_range("2023-01-01", periods=500, freq="D", tz="Europe/Berlin")  # two changes of clocks a year
    data = _wave(days)
    assert _time_warnings(_prepare(data)) == ([], [])
    forecaster = Forecaster(lookback=14, horizon=3, target="y", model=TINY, epochs=1, verbose=0, seed=0,
                            reference_fallback=False).fit(data)
    assert (forecaster.freq_, forecaster.season_length_) == ("D", 7)  # in UTC the steps were 23, 24 and 25 hours
    # back on the data's own clock: the next three midnights in Berlin
    assert list(forecaster.predict(data).index) == list(pd.date_range("2024-05-15", periods=3, freq="D", tz="Europe/Berlin"))
    hours = _wave(pd.date_range("2023-03-20", periods=24 * 300, freq="h", tz="Europe/Berlin"))  # an hour repeated in October
    assert _time_warnings(_prepare(hours)) == ([], [])


def test_forecasts_and_backtests_come_back_in_the_time_zone_of_the_data_given():
    # Hourly data across the change of clocks in Paris: inside, the toolkit counts hours on UTC; a forecast labelled
    # with those naive UTC times read two hours early on the user's clock (and overlapped their history).
    hours = pd.date_range("2024-03-25", periods=24 * 14, freq="h", tz="Europe/Paris")
    data = _wave(hours)
    forecaster = Forecaster(lookback=24, horizon=3, target="y", model=TINY, epochs=1, verbose=0, seed=0,
                            reference_fallback=False)
    validation = pd.Timestamp("2024-04-01 12:00", tz="Europe/Paris")  # read on the same clock as the data
    series = forecaster.prepare(data.iloc[:-48], validation=validation)
    assert series.index[series.bounds["validation"][0]] == validation.tz_convert("UTC").tz_localize(None)
    forecaster.fit(data.iloc[:-48])
    forecast = forecaster.predict(data)
    assert list(forecast.index) == list(pd.date_range(hours[-1], periods=4, freq="h")[1:])
    assert str(forecast.index.tz) == "Europe/Paris"
    table = forecaster.backtest(data)
    assert str(table["timestamp"].dt.tz) == "Europe/Paris" and table["origin"].isin(hours).all()
    assert np.allclose(table["actual"], data["y"].reindex(table["timestamp"]).to_numpy())  # each actual at its time
    start = pd.Timestamp("2024-04-06 12:00", tz="Europe/Paris")
    assert forecaster.backtest(data, start=start)["timestamp"].iloc[0] == start
    assert forecaster.backtest(data, start=start.tz_convert("Asia/Tokyo"))["timestamp"].iloc[0] == start  # same instant
    with pytest.raises(DataError, match=re.escape(f"(which ends at {hours[-49]})")):  # messages on the user's clock too
        forecaster.backtest(data.iloc[:-48])
    panel = pd.concat([data.assign(sensor=name) for name in "ab"]).rename_axis("time").reset_index()
    many = Forecaster(lookback=24, horizon=3, target="y", series_id="sensor", time_col="time", model=TINY, epochs=1,
                      verbose=0, seed=0, reference_fallback=False).fit(panel)
    assert list(many.predict(panel).index.unique()) == list(forecast.index)
    naive = _wave(hours.tz_localize(None))  # naive data stays naive
    assert forecaster.predict(naive).index.tz is None


def test_a_zoned_frame_written_to_csv_reads_back_as_utc_instants():
    # Its offsets change with the clocks (+01:00, then +02:00): pandas refuses to parse such a column without utc=True,
    # and the toolkit said only "could not be parsed as timestamps".
    hours = pd.date_range("2024-03-25", periods=24 * 10, freq="h", tz="Europe/Paris", name="time")
    text = pd.read_csv(io.StringIO(_wave(hours).to_csv()))
    assert text["time"].str.endswith("+01:00").any() and text["time"].str.endswith("+02:00").any()
    forecaster = Forecaster(lookback=24, horizon=3, target="y", time_col="time", model=TINY, epochs=1, verbose=0,
                            seed=0, reference_fallback=False).fit(text)
    forecast = forecaster.predict(text)
    assert str(forecast.index.tz) == "UTC"  # the file names offsets, not the zone
    assert list(forecast.index) == list(pd.date_range(hours[-1], periods=4, freq="h")[1:])  # the same instants


def test_a_panel_names_how_many_series_are_off_the_grid():
    frames = [_wave(pd.date_range("2024-01-01", periods=200, freq="h")).assign(sensor=name) for name in "abc"]
    frames[2].index = frames[2].index + pd.to_timedelta(np.arange(200) % 7, "s")
    panel = pd.concat(frames).rename_axis("time").reset_index()
    _, irregular = _time_warnings(_prepare(panel, series_id="sensor", time_col="time"))
    assert len(irregular) == 1 and "1 of 3 series (the first: 'c')" in irregular[0] and "per series" in irregular[0]


def test_fit_tells_each_time_index_problem_once():
    # The refit and the earlier forecast origins prepare the data again: they must not warn about it again.
    data = _monthly(periods=72).drop(pd.Timestamp("2017-03-01"))
    forecaster = Forecaster(lookback=12, horizon=3, target="sales", model=TINY, epochs=2, verbose=0, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecaster.fit(data)
    gaps = [w for w in caught if w.category is MissingTimestampsWarning]
    assert len(gaps) == 1, [str(w.message)[:80] for w in caught]
    jittered = _wave(pd.date_range("2024-01-01", periods=300, freq="h") + pd.to_timedelta(np.arange(300) % 5, "s"))
    forecaster = Forecaster(lookback=24, horizon=3, target="y", model=TINY, epochs=2, verbose=0, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecaster.fit(jittered)
    assert len([w for w in caught if w.category is IrregularTimestampsWarning]) == 1


def test_a_panels_frequency_is_read_from_its_longest_series():
    # Its first series may be too short to have a frequency (2 rows): the gap checks and the season must not go with it.
    frames = [_monthly(periods=2).assign(shop="tiny")] + [_monthly(seed=s).assign(shop=name) for s, name in
                                                          enumerate(["a", "b"], start=1)]
    frames[2] = frames[2].drop(pd.Timestamp("2018-06-01"))
    panel = pd.concat(frames).rename_axis("month").reset_index()
    settings = ForecastSettings(lookback=24, horizon=3, target="sales", series_id="shop", time_col="month")
    (problem, _), messages = _gap_warnings(lambda: prepare(settings, TINY, panel))
    assert len(messages) == 1 and "1 of 3 series (the first: 'b')" in messages[0]
    assert (problem.freq, problem.season_length) == ("MS", 12)


def test_fit_end_is_labelled_as_the_data_given_and_a_saved_model_keeps_it(tmp_path):
    # Inside, the toolkit counts these hours on UTC; `fit_end_` read 2024-04-03 22:00, naive, for the last row,
    # labelled 2024-04-04 00:00+02:00 in Paris, and compared with the user's index it matched nothing.
    hours = pd.date_range("2024-03-25", periods=24 * 10, freq="h", tz="Europe/Paris")
    data = _wave(hours)
    settings = dict(lookback=24, horizon=3, target="y", model=TINY, epochs=1, verbose=0, seed=0,
                    reference_fallback=False)
    forecaster = Forecaster(**settings).fit(data)
    assert forecaster.fit_end_ == hours[-1] and str(forecaster.fit_end_.tz) == "Europe/Paris"
    forecaster.save(tmp_path / "paris")
    loaded = Forecaster.load(tmp_path / "paris")
    assert loaded.fit_end_ == hours[-1] and str(loaded.fit_end_.tz) == "Europe/Paris"
    assert list(loaded.predict(data).index) == list(forecaster.predict(data).index)
    panel = pd.concat([data.assign(sensor=name) for name in "ab"]).rename_axis("time").reset_index()
    many = Forecaster(**settings, series_id="sensor", time_col="time").fit(panel)
    assert many.fit_ends_ == {"a": hours[-1], "b": hours[-1]} and str(many.fit_ends_["a"].tz) == "Europe/Paris"
    months = _monthly()
    months.index = months.index.to_period("M")
    periods = Forecaster(**{**settings, "target": "sales"}).fit(months)
    assert periods.fit_end_ == pd.Period("2022-12", "M")
    naive_hours = pd.date_range("2024-01-01", periods=24 * 10, freq="h")
    assert Forecaster(**settings).fit(_wave(naive_hours)).fit_end_ == naive_hours[-1]  # naive data stays naive
