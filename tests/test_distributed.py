"""Training past one machine: sharded windows, multi-worker training, backups that survive a lost worker."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lstm_toolkit
from lstm_toolkit import Forecaster, ModelConfig
from lstm_toolkit.backend import keras
from lstm_toolkit.data import WindowedSeries, WindowSpec
from lstm_toolkit.data.series import shard_of
from lstm_toolkit.errors import ConfigError
from lstm_toolkit.training import distributed

JOB = Path(__file__).parent / "jobs" / "multi_worker_fit.py"
EPOCHS = 4


def test_shards_are_disjoint_equal_and_cover_all_but_a_remainder():
    starts = np.arange(103) * 3
    shards = [shard_of(starts, (index, 4)) for index in range(4)]
    assert {len(shard) for shard in shards} == {103 // 4}
    joined = np.concatenate(shards)
    assert len(np.unique(joined)) == len(joined) and set(joined) <= set(starts)
    np.testing.assert_array_equal(shard_of(starts, None), starts)
    with pytest.raises(ConfigError, match="shard"):
        shard_of(starts, (4, 4))


def test_a_dataset_shard_holds_only_its_windows():
    series = WindowedSeries.from_frame(pd.DataFrame({"y": np.arange(60.0)}), WindowSpec(lookback=4, targets="y"), validation=0.0)
    whole = np.concatenate([y.numpy().ravel() for _, y in series.dataset("train", batch_size=8, shuffle=False)])
    parts = [np.concatenate([y.numpy().ravel() for _, y in series.dataset("train", batch_size=8, shuffle=False, shard=(i, 2))])
             for i in range(2)]
    assert len(parts[0]) == len(parts[1]) == len(whole) // 2
    assert not set(parts[0]) & set(parts[1]) and set(parts[0]) | set(parts[1]) <= set(whole)


class StopAt(keras.callbacks.Callback):
    """Kills the training (an exception, as a lost machine would) at the start of epoch `epoch`."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("killed")


def test_worker_backup_restores_the_chiefs_weights_and_epoch(tmp_path):
    def model():
        keras.utils.set_random_seed(0)
        built = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        built.compile("adam", "mse")
        return built

    x, y = np.random.default_rng(0).normal(size=(32, 3)), np.zeros((32, 1))
    chief = model()
    with pytest.raises(RuntimeError, match="killed"):
        chief.fit(x, y, epochs=5, verbose=0, callbacks=[distributed.WorkerBackup(tmp_path / "b"), StopAt(3)])
    assert json.loads((tmp_path / "b" / distributed.BACKUP_STATE).read_text()) == {"epoch": 3}
    silent = model()  # a worker that is not the chief reads the backup but never writes it
    silent.fit(x, y, epochs=1, verbose=0, callbacks=[distributed.WorkerBackup(tmp_path / "other", write=False)])
    assert not (tmp_path / "other").exists()
    restarted = model()
    backup = distributed.WorkerBackup(tmp_path / "b", write=False)
    backup.set_model(restarted)
    backup.on_train_begin()
    assert backup.initial_epoch == 3
    for restored, saved in zip(restarted.get_weights(), chief.get_weights()):
        np.testing.assert_array_equal(restored, saved)
    keras.utils.set_random_seed(0)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
    other.compile("adam", "mse")
    wrong = distributed.WorkerBackup(tmp_path / "b", write=False)
    wrong.set_model(other)
    with pytest.raises(ConfigError, match="(?s)cannot be restored into this model.*remove the folder"):
        wrong.on_train_begin()
    assert (tmp_path / "b" / distributed.BACKUP_WEIGHTS).exists()  # the backup is left as it was


def _small(**kwargs):
    return Forecaster(lookback=12, horizon=3, target="temp", model=ModelConfig(units=(4,)), epochs=5, patience=5,
                      batch_size=64, seed=0, verbose=0, **kwargs)


def test_a_killed_fit_started_again_resumes_from_its_backup(tmp_path):
    data = lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[:400]
    with pytest.raises(RuntimeError, match="killed"):
        _small(backup_dir=tmp_path / "backup", callbacks=[StopAt(2)]).fit(data)
    assert (tmp_path / "backup").exists()
    resumed = _small(backup_dir=tmp_path / "backup").fit(data)
    assert len(resumed.history_["loss"]) == 3  # epochs 2, 3 and 4; not 0 again
    assert not (tmp_path / "backup").exists()  # removed once training completed
    with pytest.raises(ConfigError, match="backup_dir"):
        _small(backup_dir=tmp_path / "b", stateful=True).fit(data)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_workers(out, seconds_per_batch=0.0):
    """Starts the two workers of one cluster on 127.0.0.1 (free ports picked now); the same command, TF_CONFIG differs."""
    ports = [_free_port(), _free_port()]
    workers = []
    for index in range(2):
        config = {"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(config)}
        command = [sys.executable, str(JOB), str(out), str(out / "backup"), str(out / "checkpoints"), str(EPOCHS)]
        workers.append(subprocess.Popen(command + ([str(seconds_per_batch)] if seconds_per_batch else []), env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return workers


def _finish(workers, timeout=300):
    try:
        outputs = [worker.communicate(timeout=timeout)[0] for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert [worker.returncode for worker in workers] == [0, 0], "\n".join(outputs)[-4000:]


def _wait_for_backup(path, epoch, workers, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert all(worker.poll() is None for worker in workers), "a worker ended before the backup of epoch {epoch}"
        if path.exists() and json.loads(path.read_text())["epoch"] >= epoch:
            return json.loads(path.read_text())["epoch"]
        time.sleep(0.05)
    raise TimeoutError(f"no backup of epoch {epoch} within {timeout} s")


@pytest.mark.slow
def test_two_workers_train_one_model_and_survive_a_lost_worker(tmp_path):
    # Two clusters at once: a whole run, and a run that loses a worker (its chief waits on TensorFlow's health check
    # meanwhile, and its batches are slowed down: the whole run trains in that time).
    full, lost = tmp_path / "full", tmp_path / "lost"
    full.mkdir()
    lost.mkdir()
    whole_run = _start_workers(full)
    workers = _start_workers(lost, seconds_per_batch=0.05)

    # 1. SIGKILL one worker mid-epoch: the chief fails (TensorFlow's health check).
    try:
        backed_up = _wait_for_backup(lost / "backup" / distributed.BACKUP_STATE, 1, workers)
        workers[1].send_signal(signal.SIGKILL)
        chief_output = workers[0].communicate(timeout=120)[0]
    except BaseException:
        for worker in whole_run:
            worker.kill()
        raise
    finally:
        for worker in workers:
            worker.kill()
    assert workers[0].returncode != 0 and "Collective" in chief_output, chief_output[-2000:]

    # 2. The whole run: identical weights on both workers, falling loss, and the chief's bundle is the best checkpoint.
    _finish(whole_run)
    weights = [np.load(full / f"worker-{index}.npz") for index in range(2)]
    assert all(np.array_equal(weights[0][name], weights[1][name]) for name in weights[0].files)
    histories = [json.loads((full / f"worker-{index}.json").read_text()) for index in range(2)]
    assert histories[0] == histories[1] and len(histories[0]["loss"]) == EPOCHS
    assert histories[0]["loss"][-1] < histories[0]["loss"][0]
    assert [json.loads((full / f"worker-{index}.saved").read_text()) for index in range(2)] == [True, False]
    panel = lstm_toolkit.datasets.synthetic_panel(6, 160, seed=0, short_fraction=0.0)
    forecast = lstm_toolkit.load(full / "bundle").predict(panel)
    checkpoint = lstm_toolkit.load(full / "bundle")
    checkpoint.use_trained_model(keras.saving.load_model(full / "checkpoints" / "best.keras"), checkpoint.history_)
    pd.testing.assert_frame_equal(forecast, checkpoint.predict(panel))
    assert not (full / "backup").exists()

    # 3. The job that lost a worker, started again, resumes from the last backed-up epoch, not from epoch 0, and
    #    ends where the whole run ended.
    _finish(_start_workers(lost))
    resumed = json.loads((lost / "worker-0.json").read_text())
    assert EPOCHS - len(resumed["loss"]) >= backed_up >= 1  # resumed at the backup (or the one after it)
    final, whole = resumed["loss"][-1], histories[0]["loss"][-1]
    assert abs(final - whole) <= 0.1 * whole, (resumed["loss"], histories[0]["loss"])


def test_fit_from_the_shell_on_a_one_worker_cluster(tmp_path):
    panel = lstm_toolkit.datasets.synthetic_panel(4, 120, seed=1, short_fraction=0.0)
    panel.to_csv(tmp_path / "panel.csv", index=False)
    result = subprocess.run(
        [sys.executable, "-m", "lstm_toolkit.cli", "fit", "--csv", str(tmp_path / "panel.csv"), "--target", "value",
         "--time-col", "timestamp", "--series-id", "series", "--lookback", "12", "--horizon", "3", "--epochs", "2",
         "--seed", "0", "--multi-worker", "--backup-dir", str(tmp_path / "backup"), "--out", str(tmp_path / "bundle")],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Trained 2 epochs" in result.stdout and "saved to" in result.stdout
    forecast = lstm_toolkit.load(tmp_path / "bundle").predict(panel)
    assert len(forecast) == 4 * 3 and np.isfinite(forecast["value"]).all()
