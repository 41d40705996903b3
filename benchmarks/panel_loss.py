"""The loss a global model of many series trains on, and its ridge, on four panels: M1 yearly, US employment, US change
and Seattle daily weather.

A global model scales each series by its own error (`scaler="auto"`: by its naive error), so its loss adds up
errors in units of each series' naive error, and MASE, the score, averages their absolute values. Squared errors
let the few series that are hardest to forecast (M1's mean MASE of 3.8 has series above 20) steer the training;
absolute errors weigh each series as MASE does. This runs the global Forecaster with each configuration given
(`--configs`, JSON dicts of Forecaster keywords) on:

- M1 yearly's public half (`m1_yearly.py`: lookback 8, horizon 6), its test years and, held out, the six years
  before them (`--drop-last 6`);
- the 22 US employment series, one global model (`forecast_suite.run_employment_global`);
- US change (five quarterly series) and Seattle daily weather's four columns (`panel_scaling.py`, rolling origins
  over the last 20%), panels no default was chosen on.

Reported per seed: mean MASE, whether the reference replaced the network, fit seconds; then each configuration's
mean and seed spread per panel.

Run: python benchmarks/panel_loss.py [--seeds 0 1 2] [--configs '{}' '{"loss": "mae"}']
"""

import argparse
import json
import sys

import numpy as np
import pandas as pd
from _common import machine

import forecast_suite
import m1_yearly
import panel_scaling


def m1(drop_last):
    def run(config, seed):
        train, test = m1_yearly.split(m1_yearly.load(drop_last=drop_last))
        row = m1_yearly.run(train, test, config, seed)
        return {"model": row["model"], "fallback": row["fallback"], "fit_s": row["fit_s"]}
    return run


def employment(config, seed):
    row = forecast_suite.run_employment_global(config, seed)
    return {"model": row["model"], "fallback": bool(row["fallback"]), "fit_s": row["fit_s"]}


def panel(name):
    load, lookback, horizon, stride = panel_scaling.PANELS[name]

    def run(config, seed):
        row = panel_scaling.run(load(), lookback, horizon, stride, config, seed)
        return {"model": row["model"], "fallback": row["fallback"], "fit_s": row["fit_s"]}
    return run


PANELS = {"m1_yearly": m1(0), "m1_yearly_six_years_before": m1(6), "us_employment_global": employment,
          "us_change": panel("us_change"), "seattle_daily_4": panel("seattle_daily_4")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--configs", nargs="+", default=["{}", '{"loss": "mae"}'])
    parser.add_argument("--panels", nargs="+", default=list(PANELS), choices=list(PANELS))
    args = parser.parse_args(argv)
    print(f"# The loss of a global model, on panels ({machine()})\n")
    print("| panel | config | seed | MASE | kept the reference | fit s |")
    print("|---|---|---|---|---|---|")
    rows = []
    for name in args.panels:
        for text in args.configs:
            for seed in args.seeds:
                row = {"panel": name, "config": text, "seed": seed, **PANELS[name](json.loads(text), seed)}
                rows.append(row)
                print(f"| {name} | `{text}` | {seed} | {row['model']:.3f} | {row['fallback']} | {row['fit_s']:.1f} |",
                      flush=True)
    table = pd.DataFrame(rows)
    summary = table.groupby(["panel", "config"], sort=False).agg(
        MASE=("model", "mean"), spread=("model", lambda v: float(np.ptp(v))), kept_reference=("fallback", "mean"),
        fit_s=("fit_s", "mean"))
    print("\n| panel | config | MASE | seed spread | kept the reference (share) | fit s |\n|---|---|---|---|---|---|")
    for (name, text), row in summary.iterrows():
        print(f"| {name} | `{text}` | {row['MASE']:.3f} | {row['spread']:.3f} | {row['kept_reference']:.2f} | "
              f"{row['fit_s']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
