"""What a fresh install needs: declared dependencies, a clear word without TensorFlow, a quiet TensorFlow import."""

import ast
import configparser
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from lstm_toolkit.backend import native_log_filtered, without_native_log

ROOT = Path(__file__).resolve().parents[1]
NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796137819.784945    2190 port.cc:153] oneDNN custom operations are on. "
    "You may see slightly different numerical results due to floating-point round-off errors.\n"
    "I0000 00:00:1796137819.790121    2190 cpu_feature_guard.cc:227] This TensorFlow binary is optimized "
    "to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX512F AVX512_VNNI AMX_TILE, in other operations, "
    "rebuild TensorFlow with the appropriate compiler flags.\n"
    "2024-05-01 10:00:00.123456: I tensorflow/core/util/port.cc:113] oneDNN custom operations are on.\n"
)


def _normalised(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(*sections):
    """Distribution names in setup.cfg's install_requires and the named extras."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    for extra in sections:
        lines += config["options.extras_require"][extra].splitlines()
    names = {re.match(r"[A-Za-z0-9_.\-]+", line.strip()).group() for line in lines if line.strip() and not line.strip().startswith("#")}
    return {_normalised(name) for name in names}


def _imported_modules(sources):
    """Top-level names of every absolute import in the given Python sources."""
    names = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"lstm_toolkit", "__future__"}


def _undeclared(modules, declared):
    distributions = metadata.packages_distributions()
    missing = {}
    for module in sorted(modules):
        providers = {_normalised(name) for name in distributions.get(module, [])}
        if not providers & declared:
            missing[module] = sorted(providers) or "not installed"
    return missing


def test_every_module_the_package_imports_is_declared():
    sources = [path.read_text() for path in (ROOT / "lstm_toolkit").rglob("*.py")]
    modules = _imported_modules(sources)
    assert {"tensorflow", "keras", "scipy", "sklearn"} <= modules  # the scan sees the imports
    assert _undeclared(modules, _declared("cpu", "gpu", "litert", "files")) == {}


def test_every_module_the_tests_and_notebooks_import_is_declared():
    sources = [path.read_text() for path in (ROOT / "tests").glob("*.py")]
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(notebook.read_text())["cells"]
        code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
        sources += ["\n".join(line for line in block.splitlines() if not line.lstrip().startswith(("%", "!")))
                    for block in code]
    local = {path.stem for path in (ROOT / "tests").glob("*.py")}  # tests importing each other's helpers
    modules = _imported_modules(sources) - local
    assert _undeclared(modules, _declared("cpu", "gpu", "litert", "files", "test")) == {}


def test_import_without_tensorflow_names_the_extras():
    code = "import sys; sys.modules['tensorflow'] = None; import lstm_toolkit"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: lstm_toolkit needs TensorFlow")
    assert "lstm-toolkit[cpu]" in last and "lstm-toolkit[gpu]" in last


def test_native_log_is_dropped_and_everything_else_kept(capfd):
    with native_log_filtered():
        os.write(2, (NOISE + "a real message from C\n").encode())
        print("a Python warning", file=sys.stderr)
    # (under pytest, sys.stderr is pytest's own stream, so the Python line may come first)
    assert sorted(capfd.readouterr().err.splitlines()) == ["a Python warning", "a real message from C"]


def test_a_failed_import_shows_everything_it_wrote(capfd):
    with pytest.raises(RuntimeError, match="broken"):
        with native_log_filtered():
            os.write(2, NOISE.encode())
            raise RuntimeError("broken")
    assert capfd.readouterr().err == NOISE


def test_tf_cpp_min_log_level_0_keeps_the_native_log(capfd, monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    with native_log_filtered():
        os.write(2, NOISE.encode())
    assert capfd.readouterr().err == NOISE


def test_without_native_log_keeps_lines_that_only_look_alike():
    kept = "I think 00:00 is midnight\nTo enable this, pass --flag\nerror: W0000 is a code\n"
    assert without_native_log(NOISE + kept) == kept


ONEDNN_PROBE = (
    "import os, sys\n"
    "if sys.argv[1] == 'tf-first':\n"
    "    import tensorflow\n"
    "import warnings\n"
    "from lstm_toolkit.backend import onednn_enabled\n"
    "from lstm_toolkit.models import ModelConfig, build_model\n"
    "from lstm_toolkit.training import compile_model\n"
    "with warnings.catch_warnings(record=True) as caught:\n"
    "    warnings.simplefilter('always')\n"
    "    compile_model(build_model(ModelConfig(units=(4,)), lookback=3, n_features=1), n_samples=10**6)\n"
    "warned = any(w.category.__name__ == 'SlowKernelsWarning' for w in caught)\n"
    "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'), onednn_enabled(), warned)\n"
)


def _onednn_probe(setting, order):
    env = {key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"}
    if setting is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = setting
    result = subprocess.run([sys.executable, "-c", ONEDNN_PROBE, order], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_onednn_kernels_are_the_default_unless_the_user_chose():
    # The toolkit's default (whether the kernels then run is the TensorFlow build's matter: not on macOS).
    variable, _, warned = _onednn_probe(None, "toolkit-first")
    assert (variable, warned) == ("1", "False")
    assert _onednn_probe("0", "toolkit-first") == ["0", "False", "False"]  # the user's word stands, unwarned
    # TensorFlow loaded first: its own choice stands, nothing is changed behind its back; a long
    # training warns when that choice left the kernels off (TensorFlow's default on most CPUs).
    variable, enabled, warned = _onednn_probe(None, "tf-first")
    assert variable == "None" and warned == str(enabled == "False")
