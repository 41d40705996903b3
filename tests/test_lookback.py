"""lookback="auto" (the Forecaster's default) and the warning for a lookback shorter than one season."""

import warnings

import numpy as np
import pandas as pd
import pytest

from lstm_toolkit import ConfigError, DataError, Forecaster, ShortLookbackWarning
from lstm_toolkit.cli import main
from lstm_toolkit.forecasting.choices import DEFAULT_LOOKBACK, resolve_lookback


def _weekly(rows=160):
    steps = np.arange(rows)
    values = 10 + 5 * np.sin(2 * np.pi * steps / 52) + np.random.default_rng(0).normal(scale=0.5, size=rows)
    return pd.DataFrame({"y": values}, index=pd.date_range("2000-01-02", periods=rows, freq="W"))


def _hourly(rows=300):
    values = np.sin(2 * np.pi * np.arange(rows) / 24)
    return pd.DataFrame({"y": values}, index=pd.date_range("2000-01-01", periods=rows, freq="h"))


def _short_lookback_warnings(forecaster, data):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecaster.prepare(data)
    return [w for w in caught if issubclass(w.category, ShortLookbackWarning)]


def test_auto_lookback_is_one_season_on_weekly_data_and_48_rows_where_the_season_is_shorter():
    weekly = Forecaster(horizon=4, target="y")
    assert weekly.get_params()["lookback"] == "auto"
    assert not _short_lookback_warnings(weekly, _weekly())
    assert weekly.spec_.lookback == 52 and weekly.season_length_ == 52
    hourly = Forecaster(horizon=4, target="y")
    hourly.prepare(_hourly())
    assert hourly.spec_.lookback == DEFAULT_LOOKBACK == 48
    given = Forecaster(lookback=60, horizon=4, target="y")
    given.prepare(_weekly())
    assert given.spec_.lookback == 60  # a lookback given is kept
    seasonal = Forecaster(horizon=4, target="y", season_length=100)
    seasonal.prepare(_hourly(400))
    assert seasonal.spec_.lookback == 100  # a season given counts as one inferred


def test_auto_lookback_fits_predicts_and_saves_with_the_lookback_it_chose(tmp_path):
    data = _weekly()
    fc = Forecaster(horizon=4, target="y", model={"units": [4]}, epochs=1, verbose=0, seed=0).fit(data)
    assert fc.model_.input_shape[1] == 52
    forecast = fc.predict(data)
    fc.save(tmp_path / "weekly")
    loaded = Forecaster.load(tmp_path / "weekly")
    assert loaded.get_params()["lookback"] == "auto" and loaded.spec_.lookback == 52
    np.testing.assert_allclose(loaded.predict(data).to_numpy(), forecast.to_numpy(), rtol=1e-5)


def test_a_lookback_shorter_than_the_season_warns_and_names_the_fix():
    found = _short_lookback_warnings(Forecaster(lookback=26, horizon=4, target="y"), _weekly())
    assert len(found) == 1
    message = str(found[0].message)
    assert "lookback=26 is shorter than one season (52 rows)" in message and "lookback=52" in message


@pytest.mark.parametrize("params, rows", [
    ({"lookback": 26, "calendar": ("month",)}, 160),  # calendar features show where in the season a window is
    ({"lookback": 26, "stateful": True}, 160),  # the state spans the series
    ({"lookback": 26}, 50),  # too short for a window of one season anyway
    ({"lookback": 52}, 160),
])
def test_no_short_lookback_warning_where_the_season_is_seen_another_way_or_cannot_fit(params, rows):
    assert not _short_lookback_warnings(Forecaster(horizon=4, target="y", **params), _weekly(rows))


def test_resolve_lookback_refuses_other_words_by_name():
    assert resolve_lookback("auto", 1) == 48 and resolve_lookback(7, 52) == 7
    with pytest.raises(ConfigError, match="positive integer or 'auto'. Received: lookback='long'"):
        resolve_lookback("long", 12)
    with pytest.raises(ConfigError, match="long"):
        Forecaster(lookback="long", target="y").prepare(_hourly())


def test_cli_lookback_takes_auto_and_refuses_other_words(tmp_path, capsys):
    csv = tmp_path / "weekly.csv"
    _weekly().rename_axis("week").reset_index().to_csv(csv, index=False)
    out = tmp_path / "model"
    assert main(["fit", "--csv", str(csv), "--target", "y", "--lookback", "auto", "--horizon", "2", "--epochs", "1",
                 "--out", str(out)]) == 0
    assert Forecaster.load(out).spec_.lookback == 52
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--csv", str(csv), "--target", "y", "--lookback", "long", "--out", str(out)])
    assert exit_info.value.code == 2 and "expected a positive integer, got 'long'" in capsys.readouterr().err


def test_a_series_too_short_for_the_season_long_auto_lookback_is_told_what_auto_chose():
    with pytest.raises(DataError, match=r"lookback 52 \+ horizon 4.*lookback='auto' took one season \(52 rows\)"):
        Forecaster(horizon=4, target="y").prepare(_weekly(60))
    with pytest.warns(ShortLookbackWarning):  # the fix it names: a shorter window, which then warns
        Forecaster(lookback=40, horizon=4, target="y").prepare(_weekly(60))


def test_a_short_monthly_series_too_short_for_the_auto_lookback_is_told_to_try_one_season():
    # 29 months (shampoo's training part): "auto" takes 48 rows, more than the series holds; one season fits.
    monthly = pd.DataFrame({"y": np.arange(29.0)}, index=pd.date_range("2020-01-01", periods=29, freq="MS"))
    with pytest.raises(DataError, match=r"lookback='auto' took 48 rows; on a series this short try lookback=12"):
        Forecaster(horizon=3, target="y").prepare(monthly)
    assert Forecaster(lookback=12, horizon=3, target="y").prepare(monthly).n_windows("train") > 0
    with pytest.raises(DataError) as other:  # another mistake in the same short series: no word about the lookback
        Forecaster(horizon=3, target="sales").prepare(monthly)
    assert "Target column 'sales' not found" in str(other.value) and "lookback" not in str(other.value)
    yearly = pd.DataFrame({"y": np.arange(40.0)}, index=pd.date_range("1980-01-01", periods=40, freq="YS"))
    with pytest.raises(DataError, match=r"lookback='auto' took 48 rows\.$"):  # no season: no window of one to try
        Forecaster(horizon=3, target="y").prepare(yearly)
