"""Held-out check of `batch_size="auto"` (issue 32): long series the default was not chosen on, batch 64 against auto.

`Forecaster(batch_size="auto")` trains with batch 128 from 4,096 training windows (`choices.resolve_batch_size`),
chosen on the forecast suite's long cases (MSFT daily volume, where the network is kept; Seattle hourly and MSFT
close, where it falls back). Here, with `forecast_suite.py`'s protocol (fit on the first 80%, backtest from every
`stride`-th origin after it, MASE scaled by the training part's seasonal-naive MAE):
- `ecg`: the MIT-BIH ECG excerpt shipped for anomaly detection (7,500 samples at 250 Hz; lookback 60, horizon 5);
- `msft_range`: MSFT's daily high minus low (7,983 days, a volatility series; lookback 60, horizon 5);
- `seattle_hourly_late`: Seattle's hourly temperature after the suite's first 1,760 hours (7,000 hours, so the test
  part is the end of the year the suite never scores; lookback 48, horizon 24).

Run: python benchmarks/batch_heldout.py [--seeds 0 1] [--out F]
"""

import argparse
import json
import warnings

import forecast_suite as suite
import pandas as pd
from _common import machine

import lstm_toolkit

CASES = {
    "ecg": (lambda: lstm_toolkit.datasets.load("ecg_mitdb_labeled")[["data"]], "data", 60, 5, None, 20, {}),
    "msft_range": (lambda: lstm_toolkit.datasets.load("msft_daily_ohlcv").eval("range = High - Low")[["range"]],
                   "range", 60, 5, None, 20, {}),
    "seattle_hourly_late": (lambda: lstm_toolkit.datasets.load("seattle_hourly_temperature").iloc[1760:], "temp", 48,
                            24, None, 24, {}),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args(argv)
    suite.CASES.update(CASES)
    print(f"# batch_size, held out ({machine()}): 64 against \"auto\"")
    rows = []
    for case in CASES:
        for batch_size in (64, "auto"):
            for seed in args.seeds:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    row = {"batch_size": str(batch_size), **suite.run_case(case, {"batch_size": batch_size}, seed)}
                print("  " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                      flush=True)
                rows.append(row)
    table = pd.DataFrame(rows)
    columns = ["model", "fit_s", "epochs", "fallback", "reference", "ets_damped", "theta", "seasonal_naive"]
    print("\n" + table.groupby(["case", "batch_size"])[columns].mean().to_string(float_format=lambda v: f"{v:.3f}"))
    if args.out:
        with open(args.out, "w") as handle:
            json.dump({"machine": machine(), "rows": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
