"""Wall time of a 10-trial random search on the demo series: one process vs chief + 2 workers.

Same search both ways (seeded random search; small budget so it runs in minutes):
Seattle hourly temperature (first 80%), lookback 72, horizon 24, units 16-64, depth 1-2,
at most 3 epochs per trial. The chief only serves the oracle; the two workers train.
On this 2-core machine TensorFlow already uses both cores within one process, so the
distributed run shows the overhead and the (small) gain of overlapping work, not a
multi-machine speed-up.

Run: python benchmarks/tuning.py
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

SEARCH = """
import sys, lstm_toolkit
from lstm_toolkit.tuning import SearchSpace, tune
df = lstm_toolkit.datasets.load("seattle_hourly_temperature")
df = df.iloc[: int(len(df) * 0.8)]
result = tune(df, target="temp", lookback=72, horizon=24, tuner="random", max_trials=10, epochs=3,
              space=SearchSpace(units=(16, 64), units_step=16, depth=(1, 2)), directory=sys.argv[1],
              project_name="bench", seed=0)
if result.trials is not None:
    print(result.trials[["trial_id", "status", "score", "epochs", "wall_time"]].to_string())
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("the chief did not start")


def main():
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    with tempfile.TemporaryDirectory() as scratch:
        script = os.path.join(scratch, "search.py")
        with open(script, "w") as handle:
            handle.write(SEARCH)
        start = time.perf_counter()
        single = subprocess.run([sys.executable, script, os.path.join(scratch, "single")], env=env,
                                capture_output=True, text=True, check=True)
        single_seconds = time.perf_counter() - start
        port = free_port()
        start = time.perf_counter()
        processes = []
        for tuner_id in ("chief", "tuner0", "tuner1"):
            role_env = {**env, "KERASTUNER_TUNER_ID": tuner_id, "KERASTUNER_ORACLE_IP": "127.0.0.1",
                        "KERASTUNER_ORACLE_PORT": str(port)}
            processes.append(subprocess.Popen([sys.executable, script, os.path.join(scratch, "dist")], env=role_env,
                                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
            if tuner_id == "chief":
                wait_for(port, processes[0])
        outputs = [process.communicate()[0] for process in processes]
        distributed_seconds = time.perf_counter() - start
        if any(p.returncode for p in processes):
            raise RuntimeError("\n".join(outputs))
    print(f"# 10-trial random search, demo series ({os.cpu_count()} cores); process start-up included\n")
    print("| run | wall time (s) |")
    print("|---|---|")
    print(f"| one process | {single_seconds:.0f} |")
    print(f"| chief + 2 workers | {distributed_seconds:.0f} |")
    print(f"\nSpeed-up: {single_seconds / distributed_seconds:.2f}x\n")
    print("Single-process trials:\n" + single.stdout.strip().splitlines()[-11:][0])
    print("\n".join(single.stdout.strip().splitlines()[-10:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
