"""Writes the bundles in this folder: run with the code of commit 73823d3 (before the estimator-core refactor).

    git worktree add /tmp/old 73823d3
    PYTHONPATH=/tmp/old python make_bundles.py OUT

`test_bundle.py` loads them with today's code and checks the predictions in
`predictions.json` (written here by the old code) are reproduced exactly.
"""
import json
import sys
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")
import lstm_toolkit as lt

out = sys.argv[1]
df = lt.datasets.load("seattle_hourly_temperature").iloc[:700]
small = lt.ModelConfig(units=(8,))
cases = {
  "direct": dict(lookback=24, horizon=3, target="temp", model=small),
  "recursive_gauss": dict(lookback=24, horizon=3, target="temp", model=small, strategy="recursive", loss="gaussian"),
  "quantile": dict(lookback=24, horizon=3, target="temp", model=small, loss="quantile"),
  "stateful": dict(lookback=24, horizon=3, target="temp", model=small, stateful=True),
}
preds = {}
for name, kw in cases.items():
    fc = lt.Forecaster(epochs=2, verbose=0, seed=0, **kw).fit(df.iloc[:600])
    fc.save(f"{out}/{name}")
    preds[name] = fc.predict(df.iloc[:650]).to_numpy().tolist()
# many series with embedding and static features
rng = np.random.default_rng(0)
frames = []
for k in range(3):
    part = df.iloc[:400].copy(); part["temp"] = part["temp"] + k; part["sid"] = f"s{k}"; part["size"] = float(k + 1)
    frames.append(part)
long = pd.concat(frames)
fc = lt.Forecaster(lookback=24, horizon=3, target="temp", model=small, series_id="sid", series_embedding=2,
                   static_features=["size"], epochs=2, verbose=0, seed=0).fit(long)
fc.save(f"{out}/many")
preds["many"] = fc.predict(long).drop(columns=["sid"]).to_numpy().tolist()
json.dump(preds, open(f"{out}/preds.json", "w"))
print("ok")
