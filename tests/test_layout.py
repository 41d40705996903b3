"""The package's shape: small modules, public seams across modules, data flowing one way.

These read the source (AST), import nothing, and fail on the first module
that breaks a rule, naming it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lstm_toolkit"
MAX_LINES = 450
MAX_FORECASTER_LINES = 400


def modules(folder):
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def name_of(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imported_modules(tree):
    """Every module an `import` / `from ... import` statement names (relative imports do not occur here)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def defined_private_names(tree):
    """Private names a module defines itself: functions, classes, methods and attributes it assigns."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {name for name in names if name.startswith("_")}


def private_reaches(path):
    """`(line, text)` of each use of another module's private name in `path`."""
    tree = ast.parse(path.read_text())
    own = defined_private_names(tree) if path.is_relative_to(PACKAGE) else set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [(node.lineno, f"from {node.module} import {a.name}") for a in node.names if _private(a.name)]
        elif isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in own:
            receiver = node.value
            if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
                continue
            if isinstance(receiver, ast.Call) and getattr(receiver.func, "id", None) == "super":
                continue
            found.append((node.lineno, ast.unparse(node)))
    return found


def _private(name):
    return name.startswith("_") and not name.startswith("__")


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: name_of(p))
def test_no_module_is_over_the_size_limit(path):
    lines = len(path.read_text().splitlines())
    limit = MAX_FORECASTER_LINES if path.name == "forecaster.py" else MAX_LINES
    assert lines <= limit, f"{name_of(path)} has {lines} lines (limit {limit}): split it by concern."


@pytest.mark.parametrize("path", modules(PACKAGE) + modules(ROOT / "tests") + modules(ROOT / "benchmarks"), ids=name_of)
def test_no_reach_into_another_modules_private_names(path):
    assert private_reaches(path) == [], f"{name_of(path)} uses private names of other modules; add a public entry point."


@pytest.mark.parametrize("path", modules(PACKAGE) + modules(ROOT / "tests") + modules(ROOT / "benchmarks"), ids=name_of)
def test_no_import_of_keras_or_keras_tuner_private_packages(path):
    private = [m for m in imported_modules(ast.parse(path.read_text())) if m.startswith(("keras.src", "keras_tuner.src"))]
    assert private == [], f"{name_of(path)} imports {private}; use the public keras / keras_tuner API."


# The rooms, lowest first: each may import the rooms before it (and the root modules), never one after it.
# `plotting` is lowest: a figure draws the frames and arrays it is given and imports no room.
ROOMS = ("plotting", "data", "models", "training", "serving", "forecasting", "sequences", "frames", "tuning", "cli")
# At most this many modules at the root of the package: the rest live in rooms.
MAX_ROOT_MODULES = 10


def test_data_flows_one_way():
    """`data` knows nothing of models and layers; `models` reads no data; no room imports a room above it."""
    broken = []
    for path in modules(PACKAGE):
        module = name_of(path)
        for depth, room in enumerate(ROOMS):
            if module == f"lstm_toolkit.{room}" or module.startswith(f"lstm_toolkit.{room}."):
                above = tuple(f"lstm_toolkit.{higher}" for higher in ROOMS[depth + 1:])
                imports = imported_modules(ast.parse(path.read_text()))
                broken += [f"{module} imports {m}" for m in sorted(imports)
                           if m.startswith(above) and m.split(".")[1] in ROOMS[depth + 1:]]
    assert broken == []


def test_the_root_holds_few_modules_and_every_room_is_a_package():
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root) <= MAX_ROOT_MODULES, f"{len(root)} modules at the root of lstm_toolkit: {root}; move them into rooms."
    for room in ROOMS:
        assert (PACKAGE / room / "__init__.py").is_file(), f"lstm_toolkit/{room} is not a package"


def test_no_module_shadows_a_standard_library_module():
    import sys

    shadowing = [name_of(p) for p in modules(PACKAGE) if p.stem in sys.stdlib_module_names and p.stem != "__init__"]
    assert shadowing == [], f"{shadowing} share a name with a standard-library module: rename them."


def class_names(path, name):
    """`(defined, read)`: what class `name` in `path` defines or declares (methods, class names, annotations,
    attributes it sets on self) and the attributes of self it reads."""
    cls = next(n for n in ast.parse(path.read_text()).body if isinstance(n, ast.ClassDef) and n.name == name)
    defined, read = set(), set()
    for node in cls.body:
        if isinstance(node, ast.AnnAssign):
            defined.add(node.target.id)
        elif isinstance(node, ast.Assign):
            defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for node in ast.walk(cls):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            (defined if isinstance(node.ctx, ast.Store) else read).add(node.attr)
    return defined, read


def test_the_forecaster_base_reads_only_what_it_defines_or_declares():
    """`BaseForecaster` declares the parameters it reads of its subclass instead of reaching for them unannounced."""
    base_defined, _ = class_names(PACKAGE / "base.py", "Estimator")
    defined, read = class_names(PACKAGE / "forecasting" / "estimator.py", "BaseForecaster")
    assert sorted(read - defined - base_defined) == []


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The scanners above find a private reach and a private import when there is one."""
    sample = tmp_path / "sample.py"
    sample.write_text("from lstm_toolkit.data import _hidden\nvalue = other._state\nself._mine = 1\n")
    assert [text for _, text in private_reaches(sample)] == ["from lstm_toolkit.data import _hidden", "other._state"]
    assert "keras.src.layers" in imported_modules(ast.parse("from keras.src import layers"))
