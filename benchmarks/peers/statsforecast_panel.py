"""statsforecast's AutoETS, AutoTheta and AutoARIMA on a panel: a peer of `m1_yearly.py`, run in the peer venv.

statsforecast is a benchmark peer, never a dependency of the toolkit: the benchmark writes the training part of
every series to a CSV (`unique_id`, `ds`, `y`) and runs this file with the peer venv's Python, which prints one
JSON line: `{"forecasts": {method: {series: [h values]}}, "fit_s": {method: seconds}, "statsforecast": version}`.

Set up once: python3.11 -m venv ../peers-venv && ../peers-venv/bin/pip install statsforecast
Run: ../peers-venv/bin/python benchmarks/peers/statsforecast_panel.py TRAIN.csv --horizon 6 --season 1
"""

import argparse
import json
import time

import pandas as pd


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train")
    parser.add_argument("--horizon", type=int, required=True)
    parser.add_argument("--season", type=int, default=1)
    parser.add_argument("--freq", default="YS")
    args = parser.parse_args(argv)
    import statsforecast
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    train = pd.read_csv(args.train, parse_dates=["ds"])
    forecasts, seconds = {}, {}
    for model in (AutoETS(season_length=args.season), AutoTheta(season_length=args.season),
                  AutoARIMA(season_length=args.season)):
        started = time.perf_counter()
        result = StatsForecast(models=[model], freq=args.freq, n_jobs=1).forecast(df=train, h=args.horizon)
        seconds[str(model)] = time.perf_counter() - started
        column = [c for c in result.columns if c not in ("unique_id", "ds")][0]
        forecasts[str(model)] = {key: group[column].tolist() for key, group in result.groupby("unique_id")}
    print(json.dumps({"forecasts": forecasts, "fit_s": seconds, "statsforecast": statsforecast.__version__}))


if __name__ == "__main__":
    main()
