"""The default fit of forecast-suite cases at this checkout against another one (an earlier commit), in turn.

For a change meant to keep every forecast and save time: each case is fit (`forecast_suite.fit_and_forecast`, seed
0) in a process of its own, by this checkout's code and by the other one's, in interleaved rounds. It reports the
median fit seconds of each, the XLA probes' choices (`training.choose_jit_compile`), and the largest relative
difference between the two forecasts. Make the other checkout with `git worktree add ../before <commit>`.

Run: python benchmarks/against_commit.py --before ../before [--cases seattle_daily_wind msft_volume] [--rounds 2]
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from _common import machine

HERE = Path(__file__).resolve().parents[1]
# Run in the checkout under test (`root`): its benchmarks and its package, not the installed one.
CODE = """
import json, sys
sys.path.insert(0, {benchmarks!r})
try:  # the XLA probe's module (`training.core` before it had one of its own)
    from lstm_toolkit.training import xla as probing
except ImportError:
    from lstm_toolkit.training import core as probing
choices, choose = [], probing.choose_jit_compile
probing.choose_jit_compile = lambda model, train, *args, **kwargs: choices.append(choose(model, train, *args, **kwargs)) or choices[-1]
import forecast_suite
seconds, forecast = forecast_suite.fit_and_forecast({case!r}, {{}}, 0)
print(json.dumps({{"seconds": seconds, "forecast": [float(value) for value in forecast], "xla": choices}}))
"""


def fit_in(root, case):
    """`{"seconds", "forecast", "xla"}` of case `case`'s default fit by the code of checkout `root`."""
    done = subprocess.run([sys.executable, "-c", CODE.format(benchmarks=str(Path(root) / "benchmarks"), case=case)],
                          capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(root)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the other checkout (a git worktree of the earlier commit)")
    parser.add_argument("--cases", nargs="+", default=["seattle_daily_wind", "seattle_daily_temp_min", "msft_volume",
                                                        "seattle_L72_H24"])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    ways = {"before": Path(args.before).resolve(), "now": HERE}
    print(f"# This checkout against {ways['before']} ({machine()}), seed 0, {args.rounds} interleaved rounds", flush=True)
    runs = {}
    for round_ in range(args.rounds):
        for case in args.cases:
            for way, root in ways.items():
                run = fit_in(root, case)
                runs.setdefault((case, way), []).append(run)
                print(f"  round {round_}, {case}, {way}: fit {run['seconds']:.1f} s, XLA probes chose {run['xla']}",
                      flush=True)
    print("\n| case | before, median fit s | now | largest relative difference of the forecasts |")
    print("|---|---|---|---|")
    for case in args.cases:
        before, now = runs[(case, "before")], runs[(case, "now")]
        old, new = np.asarray(before[0]["forecast"]), np.asarray(now[0]["forecast"])
        difference = float(np.max(np.abs(old - new) / np.maximum(np.abs(old), 1e-12)))
        print(f"| {case} | {np.median([run['seconds'] for run in before]):.1f} | "
              f"{np.median([run['seconds'] for run in now]):.1f} | {difference:.1e} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
