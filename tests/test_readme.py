"""Every Python code block of the README runs, in order, in one namespace."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_the_two_setup_commands():
    setup = README.read_text().split("## Set-up", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", setup, flags=re.M)
    assert commands == ["make demo", "make test"]


@pytest.mark.slow
def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("saved_models").mkdir()
    namespace = {}
    blocks = python_blocks()
    assert len(blocks) >= 3
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / "saved_models" / "temperature" / "manifest.json").is_file()
    assert (tmp_path / "saved_models" / "errors.png").stat().st_size > 0
    assert (tmp_path / "saved_models" / "temp.json").is_file()
    assert (tmp_path / "saved_models" / "temp_serving" / "saved_model.pb").is_file()
    assert namespace["forecast"].shape == (6, 1)
    assert len(namespace["speakers"]) == 370 and set(namespace["turns"]["sequence"]) == {0, 1}
    assert list(namespace["table"].index) == ["detector", "rolling_zscore", "isolation_forest"]
    assert namespace["paths"].shape == (100, 12, 1) and "coverage_95" in namespace["scores"].columns
    assert (tmp_path / "saved_models" / "fan.png").stat().st_size > 0


def test_the_defaults_table_matches_the_estimators():
    from lstm_toolkit import AnomalyDetector, Forecaster, FrameForecaster, SequenceClassifier, SequenceLabeller

    section = README.read_text().split("## Defaults at a glance", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines() if line.startswith("|")]
    header, table = rows[0], {row[0]: row[1:] for row in rows[2:]}
    classes = {cls.__name__: cls for cls in (Forecaster, FrameForecaster, SequenceClassifier, SequenceLabeller, AnomalyDetector)}
    assert header[1:] == list(classes)
    checked = 0
    for parameter in ("epochs", "batch_size", "learning_rate", "clipnorm", "patience", "validation"):
        for name, cell in zip(header[1:], table[parameter]):
            value, word = classes[name]().get_params()[parameter], cell.split()[0]
            assert (word == value) if isinstance(value, str) else float(word) == value, (parameter, name)
            checked += 1
    assert checked == 30
    assert table["lookback"][0].startswith(str(Forecaster().lookback)) and table["lookback"][4].startswith(str(AnomalyDetector().lookback))


BENCHMARKS = README.parent / "benchmarks"


def anchor(heading):
    """GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_to_the_benchmarks_readme_name_its_headings():
    headings = {anchor(line.lstrip("#")) for line in (BENCHMARKS / "README.md").read_text().splitlines()
                if line.startswith("#")}
    links = re.findall(r"\(benchmarks/README\.md#([^)]+)\)", README.read_text())
    assert links, "the README points to the measurements behind its defaults"
    assert [link for link in links if link not in headings] == []


@pytest.mark.parametrize("doc, base", [(README, README.parent), (BENCHMARKS / "README.md", BENCHMARKS)], ids=["README", "benchmarks"])
def test_every_result_file_the_docs_quote_is_in_the_repository(doc, base):
    quoted = set(re.findall(r"`((?:benchmarks/)?results/[^`\s]+)`", doc.read_text()))
    assert quoted
    missing = [name for name in sorted(quoted)
               if not list((README.parent if name.startswith("benchmarks/") else base).glob(name))]
    assert missing == []


def test_every_benchmark_script_is_listed_in_the_benchmarks_readme():
    listed = (BENCHMARKS / "README.md").read_text()
    scripts = [path.name for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_")]
    assert len(scripts) > 20
    assert [name for name in scripts if f"`{name}`" not in listed] == []
