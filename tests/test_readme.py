"""README.rst's commands are the ones CI and users run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands():
    return re.findall(r"^    (pip install .+)$", (ROOT / "README.rst").read_text(), flags=re.M)


def test_readme_opens_with_demo_then_test_command():
    demo, tests = _commands()[:2]
    assert demo.endswith("python -m skSIG.demo")
    assert tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    assert _commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_demo_runs_quickly(capsys):
    from skSIG.demo import main

    result = main(["--max-iter", "30", "--verbose", "0"])
    out = capsys.readouterr().out
    assert "modes captured" in out and "KL" in out
    assert 0 <= result["modes"] <= 25
