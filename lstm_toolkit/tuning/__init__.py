"""Keras Tuner searches over the model factory: `space` (what may vary), `hypermodels` (one trial's
model), `search` (the tuners, `tune`, `tune_classifier`, `tune_frames`, resumable and distributable
with Keras Tuner's chief/worker mode)."""

from lstm_toolkit.tuning.hypermodels import ClassifierHyperModel, ForecastHyperModel, FrameHyperModel
from lstm_toolkit.tuning.search import (
    RECORD_FILE,
    TUNERS,
    BayesianOptimization,
    Hyperband,
    RandomSearch,
    TuneResult,
    is_search_worker,
    trials_table,
    tune,
    tune_classifier,
    tune_frames,
)
from lstm_toolkit.tuning.space import ClassifierSearchSpace, FrameSearchSpace, SearchSpace

__all__ = [
    "RECORD_FILE",
    "TUNERS",
    "BayesianOptimization",
    "ClassifierHyperModel",
    "ClassifierSearchSpace",
    "ForecastHyperModel",
    "FrameHyperModel",
    "FrameSearchSpace",
    "Hyperband",
    "RandomSearch",
    "SearchSpace",
    "TuneResult",
    "is_search_worker",
    "trials_table",
    "tune",
    "tune_classifier",
    "tune_frames",
]
