import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from test_packaging import NOISE

import lstm_toolkit
from lstm_toolkit.cli import main


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "temps.csv"
    lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:600].to_csv(path)
    return path


@pytest.fixture(scope="module")
def model_dir(csv_file):
    out = csv_file.parent / "model"
    code = main(["fit", "--csv", str(csv_file), "--target", "temp", "--lookback", "24", "--horizon", "3",
                 "--epochs", "1", "--seed", "0", "--out", str(out)])
    assert code == 0
    return out


# Loaded before anything else in the CLI's process: when TensorFlow starts loading, writes to file
# descriptor 2 what TensorFlow's C++ code writes there on CPUs with oneDNN on (AVX-512, AMX), so the
# CLI's output is checked against a noisy TensorFlow on every machine, not only on such CPUs.
NOISY_TENSORFLOW = f"""
import os
import sys

NOISE = {NOISE!r}


class NoisyTensorFlow:
    loaded = False

    def find_spec(self, name, path=None, target=None):
        if name.startswith("tensorflow.") and not self.loaded:
            self.loaded = True
            os.write(2, NOISE.encode())
        return None


sys.meta_path.insert(0, NoisyTensorFlow())
"""


@pytest.fixture(scope="module")
def noisy_tensorflow(tmp_path_factory):
    folder = tmp_path_factory.mktemp("noisy_tensorflow")
    (folder / "sitecustomize.py").write_text(NOISY_TENSORFLOW)
    return folder


def run_python(noisy_tensorflow, *args):
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(noisy_tensorflow)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLI must quiet TensorFlow by itself
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)


@pytest.fixture
def run_cli(noisy_tensorflow):
    return lambda *args: run_python(noisy_tensorflow, "-m", "lstm_toolkit.cli", *args)


def test_the_simulated_tensorflow_is_noisy(noisy_tensorflow):
    # TensorFlow's import asks the finder for its submodules first ("tensorflow.python", ...).
    code = "import sys; sys.meta_path[0].find_spec('tensorflow.python'); sys.meta_path[0].find_spec('tensorflow.keras')"
    result = run_python(noisy_tensorflow, "-c", code)
    assert result.returncode == 0 and result.stderr == NOISE  # once, on the first submodule


@pytest.mark.parametrize(
    "command",
    [[], ["demo"], ["fit"], ["predict"], ["evaluate"], ["export"], ["tune"], ["classify"], ["classify", "fit"],
     ["label", "predict"], ["detect"], ["detect", "score"]],
)
def test_help_everywhere(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: lstm-toolkit" in capsys.readouterr().out


def test_fit_writes_a_loadable_bundle(model_dir):
    assert (model_dir / "manifest.json").is_file()
    assert lstm_toolkit.load(model_dir).spec_.lookback == 24


def test_predict_prints_or_writes_the_forecast(model_dir, csv_file, tmp_path, capsys):
    assert main(["predict", "--model", str(model_dir), "--csv", str(csv_file)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0] == "date,temp" and len(printed) == 4
    out = tmp_path / "forecast.csv"
    assert main(["predict", "--model", str(model_dir), "--csv", str(csv_file), "--out", str(out)]) == 0
    forecast = pd.read_csv(out, index_col=0, parse_dates=True)
    assert forecast.index[0] == pd.Timestamp("2010-01-26 00:00:00") and forecast.shape == (3, 1)


def test_evaluate_prints_the_comparison_table(model_dir, csv_file, capsys):
    assert main(["evaluate", "--model", str(model_dir), "--csv", str(csv_file), "--start", "0.8", "--stride", "5"]) == 0
    out = capsys.readouterr().out
    for word in ("model", "naive", "seasonal_naive", "MASE"):
        assert word in out


def test_missing_file_is_one_line_and_exit_2(run_cli):
    result = run_cli("predict", "--model", "nowhere", "--csv", "nothing.csv")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lstm-toolkit predict: error: No bundle at nowhere: the folder does not exist. Check the path."
    ]


def test_missing_column_is_one_line_and_exit_2(run_cli, csv_file, tmp_path):
    result = run_cli("fit", "--csv", str(csv_file), "--target", "humidity", "--out", str(tmp_path / "m"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Target column 'humidity' not found" in lines[0] and "Traceback" not in result.stderr


def test_normal_output_carries_no_tensorflow_log(run_cli, model_dir, csv_file):
    result = run_cli("predict", "--model", str(model_dir), "--csv", str(csv_file))
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines()[0] == "date,temp" and len(result.stdout.splitlines()) == 4


def test_help_carries_no_tensorflow_log(run_cli):
    result = run_cli("fit", "--help")
    assert result.returncode == 0 and result.stderr == "" and result.stdout.startswith("usage: lstm-toolkit fit")


def test_bad_value_is_a_usage_error(csv_file, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--csv", str(csv_file), "--target", "temp", "--lookback", "0", "--out", "x"])
    assert exit_info.value.code == 2
    assert "expected a positive integer, got 0" in capsys.readouterr().err


def test_evaluate_without_new_data_suggests_start(model_dir, csv_file, capsys):
    assert main(["evaluate", "--model", str(model_dir), "--csv", str(csv_file)]) == 2
    error = capsys.readouterr().err
    assert "no rows after the training data" in error and "--start" in error  # the flag, not only the keyword


def test_tune_runs_a_search_and_saves_the_best(csv_file, tmp_path, capsys):
    code = main(["tune", "--csv", str(csv_file), "--target", "temp", "--lookback", "24", "--horizon", "2",
                 "--tuner", "random", "--max-trials", "2", "--epochs", "1", "--units", "8", "16", "--depth", "1", "1",
                 "--directory", str(tmp_path / "search"), "--out", str(tmp_path / "best")])
    assert code == 0
    out = capsys.readouterr().out
    assert "COMPLETED" in out and "Best:" in out
    assert (tmp_path / "search" / "lstm_toolkit" / "trials.png").is_file()
    assert lstm_toolkit.load(tmp_path / "best").predict(pd.read_csv(csv_file)).shape == (2, 1)  # time_col "date"


def test_fit_stateful_writes_a_stateful_bundle(csv_file, tmp_path):
    out = tmp_path / "stateful"
    assert main(["fit", "--csv", str(csv_file), "--target", "temp", "--lookback", "24", "--epochs", "1",
                 "--seed", "0", "--stateful", "--out", str(out)]) == 0
    loaded = lstm_toolkit.load(out)
    assert loaded.stateful and loaded.streamer().update(50.0).shape == (1, 1)


@pytest.fixture(scope="module")
def vowels_csv(tmp_path_factory):
    frame = lstm_toolkit.datasets.load("japanese_vowels")
    folder = tmp_path_factory.mktemp("vowels")
    frame[(frame["split"] == "train") & (frame["case"] % 3 == 0)].to_csv(folder / "train.csv", index=False)
    frame[(frame["split"] == "test") & (frame["case"] % 10 == 0)].to_csv(folder / "test.csv", index=False)
    return folder


def test_classify_fit_predict_score(vowels_csv, tmp_path, capsys):
    out = tmp_path / "clf"
    assert main(["classify", "fit", "--csv", str(vowels_csv / "train.csv"), "--case-col", "case", "--label", "speaker",
                 "--time-col", "frame", "--epochs", "2", "--seed", "0", "--architecture", "fcn", "--out", str(out)]) == 0
    assert lstm_toolkit.load(out).model.architecture == "fcn"
    assert main(["classify", "predict", "--model", str(out), "--csv", str(vowels_csv / "test.csv"),
                 "--out", str(tmp_path / "p.csv")]) == 0
    predictions = pd.read_csv(tmp_path / "p.csv")
    test = pd.read_csv(vowels_csv / "test.csv")
    assert predictions["case"].tolist() == test["case"].drop_duplicates().tolist()
    assert predictions[[f"p_{k}" for k in range(1, 10)]].sum(axis=1).round(5).eq(1).all()
    capsys.readouterr()
    assert main(["classify", "score", "--model", str(out), "--csv", str(vowels_csv / "test.csv"), "--label", "speaker"]) == 0
    assert capsys.readouterr().out.startswith("accuracy ")


def test_label_fit_predict_segments(tmp_path, capsys):
    X, Y = lstm_toolkit.datasets.speaker_turns("train", seed=0)
    rows = [dict(stream=k, step=t, speaker=int(y[t]), **{f"c{c}": x[t, c] for c in range(12)})
            for k, (x, y) in enumerate(zip(X[:12], Y[:12])) for t in range(len(y))]
    pd.DataFrame(rows).to_csv(tmp_path / "turns.csv", index=False)
    out = tmp_path / "labeller"
    assert main(["label", "fit", "--csv", str(tmp_path / "turns.csv"), "--case-col", "stream", "--label", "speaker",
                 "--time-col", "step", "--epochs", "1", "--seed", "0", "--architecture", "lstm_fcn", "--out", str(out)]) == 0
    assert lstm_toolkit.load(out).model.architecture == "lstm_fcn"
    capsys.readouterr()
    assert main(["label", "predict", "--model", str(out), "--csv", str(tmp_path / "turns.csv")]) == 0
    segments = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(segments.columns) == ["stream", "start", "end", "label"]
    assert segments.groupby("stream")["end"].max().tolist() == [len(y) for y in Y[:12]]


def test_detect_fit_and_score_with_labels(tmp_path, capsys):
    path = tmp_path / "ecg.csv"
    lstm_toolkit.datasets.load("ecg_mitdb_labeled").iloc[5500:].reset_index(drop=True).to_csv(path, index=False)
    out = tmp_path / "detector"
    assert main(["detect", "fit", "--csv", str(path), "--columns", "data", "--window", "32", "--epochs", "1",
                 "--seed", "0", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["detect", "score", "--model", str(out), "--csv", str(path), "--labels", "label",
                 "--out", str(tmp_path / "scores.csv")]) == 0
    printed = capsys.readouterr().out
    assert "isolation_forest" in printed and "roc_auc" in printed
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert len(scores) == 2000 and set(scores["flag"]) <= {0, 1}
    assert main(["detect", "score", "--model", str(out), "--csv", str(path), "--labels", "nope"]) == 2
    # With --time-col the rows are checked to be in time order (they were scored as they came) and the scores
    # carry their timestamps.
    timed = pd.read_csv(path).assign(time=pd.date_range("2024-01-01", periods=2000, freq="min").astype(str))
    timed.to_csv(path, index=False)
    capsys.readouterr()
    assert main(["detect", "score", "--model", str(out), "--csv", str(path), "--time-col", "time"]) == 0
    stamped = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(stamped.columns) == ["time", "score", "flag"] and stamped["time"].iloc[-1] == "2024-01-02 09:19:00"
    np.testing.assert_allclose(stamped["score"], scores["score"])
    timed.iloc[::-1].to_csv(path, index=False)
    assert main(["detect", "score", "--model", str(out), "--csv", str(path), "--time-col", "time"]) == 2
    assert "Timestamps are not sorted: row 1" in capsys.readouterr().err


def test_fit_with_quantiles_and_predict_samples(csv_file, tmp_path, capsys):
    out = tmp_path / "quantile_model"
    assert main(["fit", "--csv", str(csv_file), "--target", "temp", "--lookback", "24", "--horizon", "3",
                 "--epochs", "1", "--seed", "0", "--loss", "quantile", "--quantiles", "0.1", "0.5", "0.9",
                 "--ensemble", "2", "--out", str(out)]) == 0
    assert lstm_toolkit.load(out).model_config_.members == 2
    across = tmp_path / "across_lookbacks"
    assert main(["fit", "--csv", str(csv_file), "--target", "temp", "--lookback", "24", "--horizon", "3", "--epochs",
                 "1", "--seed", "0", "--ensemble", "12,24", "--loss", "mae", "--out", str(across)]) == 0
    loaded = lstm_toolkit.load(across)
    assert loaded.model_config_.member_lookbacks == (12, 24) and loaded.loss_ == "mae"
    with pytest.raises(SystemExit):
        main(["fit", "--csv", str(csv_file), "--target", "temp", "--ensemble", "12,x", "--out", str(across)])
    assert main(["predict", "--model", str(out), "--csv", str(csv_file), "--out", str(tmp_path / "f.csv")]) == 0
    assert list(pd.read_csv(tmp_path / "f.csv").columns)[1:] == ["temp", "temp_q0.1", "temp_q0.5", "temp_q0.9"]
    assert main(["predict", "--model", str(out), "--csv", str(csv_file), "--samples", "4", "--seed", "0",
                 "--out", str(tmp_path / "s.csv")]) == 0
    samples = pd.read_csv(tmp_path / "s.csv")
    assert len(samples) == 4 * 3 and list(samples.columns) == ["sample", "date", "target", "value"]
    capsys.readouterr()
    assert main(["predict", "--model", str(out), "--csv", str(csv_file), "--temperature", "0.5",
                 "--out", str(tmp_path / "t.csv")]) == 2
    assert "--temperature 0.5 spreads sample paths, and none are asked for: add --samples N" in capsys.readouterr().err
    assert not (tmp_path / "t.csv").exists()


def test_many_series_and_recursive_sampling_from_the_shell(tmp_path):
    wide = lstm_toolkit.datasets.load("us_employment_monthly").iloc[:, :2]
    path = tmp_path / "jobs.csv"
    wide.reset_index().melt(id_vars="month", var_name="sector", value_name="jobs").to_csv(path, index=False)
    out = tmp_path / "global"
    assert main(["fit", "--csv", str(path), "--target", "jobs", "--series-id", "sector", "--series-embedding", "2",
                 "--strategy", "recursive", "--loss", "gaussian", "--lookback", "12", "--horizon", "3",
                 "--epochs", "1", "--seed", "0", "--out", str(out)]) == 0
    assert main(["predict", "--model", str(out), "--csv", str(path), "--samples", "2", "--seed", "0",
                 "--out", str(tmp_path / "s.csv")]) == 0
    samples = pd.read_csv(tmp_path / "s.csv")
    assert list(samples.columns) == ["sector", "sample", "month", "target", "value"]
    assert len(samples) == 2 * 2 * 3 and set(samples["sector"]) == set(wide.columns)


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_a_csv_is_read_with_the_separator_its_header_uses(tmp_path, sep):
    from lstm_toolkit.cli.common import read_csv

    path = tmp_path / "data.csv"
    frame = pd.DataFrame({"date": ["2024-01-01", "2024-01-02"], "y": [1.5, 2.5], "sales, eur": [3, 4]})
    frame.to_csv(path, sep=sep, index=False)  # the name with a comma is quoted in the header
    read, time_col = read_csv(path)
    assert list(read.columns) == ["date", "y", "sales, eur"] and time_col == "date" and read["y"].tolist() == [1.5, 2.5]
    (tmp_path / "quoted.csv").write_text('"sales, eur";"units"\n1;2\n')  # a quoted comma is no separator
    assert list(read_csv(tmp_path / "quoted.csv")[0].columns) == ["sales, eur", "units"]
    (tmp_path / "one.csv").write_text("y\n1\n2\n")
    assert read_csv(tmp_path / "one.csv")[0]["y"].tolist() == [1, 2]


def test_a_csv_of_its_header_alone_has_no_rows(tmp_path, capsys):
    path = tmp_path / "header.csv"
    path.write_text("date,temp\n")
    assert main(["fit", "--csv", str(path), "--target", "temp", "--out", str(tmp_path / "m")]) == 2
    assert "The data has no rows" in capsys.readouterr().err  # not "Target column 'temp' is not numeric"


def test_an_out_that_would_not_be_saved_is_refused_before_training(csv_file, tmp_path, capsys, monkeypatch):
    from lstm_toolkit.sequences.anomaly import AnomalyDetector
    from lstm_toolkit.sequences.classifier import SequenceClassifier

    def trains(*args, **kwargs):
        raise AssertionError("trained before the --out check")

    for estimator in (lstm_toolkit.Forecaster, SequenceClassifier, AnomalyDetector):
        monkeypatch.setattr(estimator, "fit", trains)
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    for command in (["fit", "--csv", str(csv_file), "--target", "temp"],
                    ["classify", "fit", "--csv", str(csv_file), "--case-col", "temp", "--label", "temp"],
                    ["detect", "fit", "--csv", str(csv_file), "--columns", "temp"],
                    ["demo"]):
        assert main([*command, "--out", str(notes)]) == 2
        assert "exists and is not an lstm_toolkit bundle; refusing to overwrite it" in capsys.readouterr().err
    assert notes.read_text() == "mine"
