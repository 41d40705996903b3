"""statsforecast's AutoETS, AutoTheta and AutoARIMA from rolling origins of one series: a peer of `forecast_suite.py`.

Run in the peer venv (statsforecast is never a dependency of the toolkit). The suite writes the series, cut after
its last origin's horizon, to a CSV (`y`), and this file runs `StatsForecast.cross_validation` with `n_windows`
origins `step` rows apart, the last one `horizon` rows before the end: the suite's own origins. Each model is fit
once, on the rows up to the first origin (`refit=False`), and forecasts every origin from the data before it, as
the suite's damped ETS does. It prints one JSON line: `{"forecasts": {method: [[h values] per origin]},
"fit_s": {method: seconds}, "statsforecast": version}`.

Run: ../peers-venv/bin/python benchmarks/peers/statsforecast_origins.py SERIES.csv --horizon 7 --season 7 \
         --n-windows 50 --step 7
"""

import argparse
import json
import time

import numpy as np
import pandas as pd


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("series")
    parser.add_argument("--horizon", type=int, required=True)
    parser.add_argument("--season", type=int, default=1)
    parser.add_argument("--n-windows", type=int, required=True)
    parser.add_argument("--step", type=int, default=1)
    args = parser.parse_args(argv)
    import statsforecast
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    values = pd.read_csv(args.series)["y"].to_numpy(dtype="float64")
    frame = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(values)), "y": values})
    forecasts, seconds = {}, {}
    for model in (AutoETS(season_length=args.season), AutoTheta(season_length=args.season),
                  AutoARIMA(season_length=args.season)):
        started = time.perf_counter()
        try:
            result = StatsForecast(models=[model], freq=1, n_jobs=1).cross_validation(
                df=frame, h=args.horizon, n_windows=args.n_windows, step_size=args.step, refit=False)
        except Exception as error:  # a model statsforecast cannot fit here: its column is left empty, with why
            forecasts[str(model)], seconds[str(model)] = None, f"failed: {type(error).__name__}: {error}"[:200]
            continue
        seconds[str(model)] = time.perf_counter() - started
        column = [c for c in result.columns if c not in ("unique_id", "ds", "cutoff", "y")][0]
        forecasts[str(model)] = [group[column].tolist() for _, group in result.groupby("cutoff", sort=True)]
    print(json.dumps({"forecasts": forecasts, "fit_s": seconds, "statsforecast": statsforecast.__version__}))


if __name__ == "__main__":
    main()
