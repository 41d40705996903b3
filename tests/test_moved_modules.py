"""The package's rooms (issue 33): the old module paths still import, with a DeprecationWarning, as the moved module."""

import importlib
import sys
import warnings

import pytest

import lstm_toolkit
from lstm_toolkit import MOVED_MODULES


@pytest.mark.parametrize("old", sorted(MOVED_MODULES))
def test_an_old_module_path_imports_the_moved_module_with_a_deprecation_warning(old):
    new = importlib.import_module(f"lstm_toolkit.{MOVED_MODULES[old]}")
    sys.modules.pop(f"lstm_toolkit.{old}", None)  # as in a fresh process: the warning comes on the first import
    with pytest.warns(DeprecationWarning, match=f"lstm_toolkit.{MOVED_MODULES[old]}"):
        module = importlib.import_module(f"lstm_toolkit.{old}")
    assert module is new
    assert module.__name__ == new.__name__ and module.__spec__.name == new.__name__  # its own identity is kept


def test_names_imported_from_an_old_path_are_the_moved_objects():
    sys.modules.pop("lstm_toolkit.classification", None)
    with pytest.warns(DeprecationWarning):
        from lstm_toolkit.classification import SequenceClassifier
    assert SequenceClassifier is lstm_toolkit.SequenceClassifier
    assert SequenceClassifier.__module__ == "lstm_toolkit.sequences.classifier"


def test_the_public_names_and_rooms_import_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in lstm_toolkit.__all__:
            assert getattr(lstm_toolkit, name) is not None
        for room in ("forecasting", "sequences", "frames", "training", "serving", "gates", "models", "data"):
            importlib.import_module(f"lstm_toolkit.{room}")


def test_tab_completion_offers_the_public_names_and_rooms_only():
    # dir() listed the modules the package imports for itself: lstm_toolkit.sys, .importlib, .warnings.
    offered = dir(lstm_toolkit)
    assert set(lstm_toolkit.__all__) <= set(offered) and {"forecasting", "plotting", "data"} <= set(offered)
    assert not {"sys", "importlib", "warnings"} & set(offered) and not set(MOVED_MODULES) & set(offered)
    assert all(hasattr(lstm_toolkit, name) for name in offered)


def test_an_unknown_module_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("lstm_toolkit.no_such_module")
