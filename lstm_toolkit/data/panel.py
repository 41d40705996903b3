"""Many series from long-format files: one CSV or Parquet file, or a folder of shards, read series by series.

A panel of many series usually arrives as a long table, one row per
(series id, timestamp), written by a database export or a Spark job as
shards. `read_panel` reads it a shard (and, for CSV, a chunk of rows) at a
time and keeps one small frame per series, so the long table itself (with
its repeated id column) never has to fit in memory as one DataFrame. The
result is a `{id: frame}` dict that `Forecaster(series_id=...)` fits,
predicts and evaluates like a long DataFrame.

Bad series are never dropped silently: each one is left out with its id and
the reason in `PanelData.problems` (and a warning counts them):
duplicate timestamps within the series, missing (NaN) values, or a series of
a single row. Rows of a series may come in any order (they are sorted by
time); the rows of one series may be spread over several shards.

Example:
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"id": ["a", "a", "b", "b", "c"], "t": ["2024-01-01", "2024-01-02"] * 2 + ["2024-01-01"],
...               "y": [1.0, 2.0, 3.0, float("nan"), 5.0]}).to_csv(folder / "part-0.csv", index=False)
>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     panel = read_panel(folder, series_id="id", time_col="t")
>>> list(panel.series), sorted(panel.problems)
(['a'], ['b', 'c'])
>>> panel.problems["c"]
'a single row: a series needs at least two'
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_toolkit.data.frame import parse_times
from lstm_toolkit.errors import DataError

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclasses.dataclass(frozen=True)
class PanelData:
    """What `read_panel` read: `series` `{id: frame}` (time column kept, rows sorted by time) and `problems` `{id: reason}`."""

    series: dict
    problems: dict

    def __len__(self):
        return len(self.series)


def panel_files(path):
    """The files of a panel: `path` itself, or the CSV / Parquet shards in the folder `path` (sorted by name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in FORMATS and not p.name.startswith((".", "_")))
        if not files:
            raise DataError(f"The folder {path} holds no CSV or Parquet shard ({', '.join(FORMATS)}).")
        return files
    if not path.exists():
        raise DataError(f"No file or folder at {path}.")
    if path.suffix.lower() not in FORMATS:
        raise DataError(f"{path} is not a CSV or Parquet file (expected one of {', '.join(FORMATS)}).")
    return [path]


def _chunks(path, columns, chunksize):
    if FORMATS[path.suffix.lower()] == "csv":
        yield from pd.read_csv(path, usecols=columns, chunksize=chunksize)
        return
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise ImportError(f"Reading {path.name} needs pyarrow: pip install 'lstm-toolkit[files]'.") from None
    for batch in parquet.ParquetFile(path).iter_batches(batch_size=chunksize, columns=columns):
        yield batch.to_pandas()


def read_panel(path, series_id, time_col, columns=None, keep_missing=False, chunksize=500_000):
    """Reads a long-format panel file (or folder of shards) into one frame per series.

    Args:
        path: a `.csv` or `.parquet` file, or a folder of them (shards of one table).
        series_id: the id column.
        time_col: the timestamp column (kept as a column, parsed, rows sorted by it).
        columns: the value columns to keep (default: all others).
        keep_missing: keep series with missing values (for a Forecaster with
            `fill=`) instead of leaving them out.
        chunksize: rows read at a time.

    Returns:
        A `PanelData`: `series` `{id: frame}` for `Forecaster(series_id=..., time_col=...).fit(panel.series)`,
        and `problems` `{id: reason}` for every series left out.
    """
    wanted = None if columns is None else [series_id, time_col, *columns]
    pieces = {}
    for file in panel_files(path):
        for chunk in _chunks(file, wanted, chunksize):
            missing = [c for c in (series_id, time_col) if c not in chunk.columns]
            if missing:
                raise DataError(f"{file.name} has no column(s) {missing}. Columns: {list(chunk.columns)}.")
            if chunk[series_id].isna().any():
                raise DataError(f"{file.name}: {int(chunk[series_id].isna().sum())} row(s) have no {series_id!r}. "
                                "Fill or drop them first.")
            chunk = chunk.assign(**{time_col: parse_times(chunk, time_col)})
            for key, rows in chunk.groupby(series_id, sort=False):
                pieces.setdefault(key, []).append(rows.drop(columns=[series_id]))
    series, problems = {}, {}
    for key in list(pieces):
        frame = pd.concat(pieces.pop(key)) if len(pieces[key]) > 1 else pieces.pop(key)[0]
        frame = frame.sort_values(time_col, kind="stable").reset_index(drop=True)
        problem = series_problem(frame, time_col, keep_missing)
        if problem:
            problems[key] = problem
        else:
            series[key] = frame
    if problems:
        first = next(iter(problems))
        warnings.warn(f"{len(problems)} of {len(problems) + len(series)} series were left out of {path} "
                      f"(series {first!r}: {problems[first]}). See `.problems` for each id and reason.",
                      UserWarning, stacklevel=2)
    return PanelData(series, problems)


def series_problem(frame, time_col, keep_missing=False):
    """Why one series' rows (sorted by time) cannot be used as they are, or None."""
    if len(frame) < 2:
        return "a single row: a series needs at least two"
    times = frame[time_col]
    duplicated = times.duplicated()
    if duplicated.any():
        return (f"{int(duplicated.sum())} duplicate timestamp(s), the first {times[duplicated].iloc[0]}: "
                "aggregate or drop them")
    values = frame.drop(columns=[time_col]).select_dtypes("number").to_numpy(dtype="float64")
    bad = ~np.isfinite(values)
    if bad.any() and not keep_missing:
        row = int(np.argwhere(bad)[0][0])
        return (f"{int(bad.sum())} missing or infinite value(s), the first at {times.iloc[row]}: "
                "fill them, or read with keep_missing=True for a Forecaster(fill=...)")
    return None
