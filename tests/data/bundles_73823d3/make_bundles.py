"""Writes the bundles in this folder: run with the code of commit 73823d3 (before the estimator-core refactor).

    git worktree add /tmp/old 73823d3
    PYTHONPATH=/tmp/old python make_bundles.py OUT

`test_bundle.py` loads them with today's code and checks the predictions in
`predictions.json` (written here by the old code) are reproduced exactly.
"""

import json
import sys
import warnings

import pandas as pd

import lstm_toolkit as lt


def main(out):
    warnings.simplefilter("ignore")
    df = lt.datasets.load("seattle_hourly_temperature").iloc[:700]
    small = lt.ModelConfig(units=(8,))
    cases = {
        "direct": dict(lookback=24, horizon=3, target="temp", model=small),
        "recursive_gauss": dict(lookback=24, horizon=3, target="temp", model=small, strategy="recursive", loss="gaussian"),
        "quantile": dict(lookback=24, horizon=3, target="temp", model=small, loss="quantile"),
        "stateful": dict(lookback=24, horizon=3, target="temp", model=small, stateful=True),
    }
    predictions = {}
    for name, settings in cases.items():
        forecaster = lt.Forecaster(epochs=2, verbose=0, seed=0, **settings).fit(df.iloc[:600])
        forecaster.save(f"{out}/{name}")
        predictions[name] = forecaster.predict(df.iloc[:650]).to_numpy().tolist()
    # many series, with a series embedding and a static feature
    parts = []
    for k in range(3):
        part = df.iloc[:400].copy()
        part["temp"] = part["temp"] + k
        part["sid"] = f"s{k}"
        part["size"] = float(k + 1)
        parts.append(part)
    long = pd.concat(parts)
    forecaster = lt.Forecaster(lookback=24, horizon=3, target="temp", model=small, series_id="sid", series_embedding=2,
                               static_features=["size"], epochs=2, verbose=0, seed=0).fit(long)
    forecaster.save(f"{out}/many")
    predictions["many"] = forecaster.predict(long).drop(columns=["sid"]).to_numpy().tolist()
    with open(f"{out}/predictions.json", "w") as file:
        json.dump(predictions, file)


if __name__ == "__main__":
    main(sys.argv[1])
