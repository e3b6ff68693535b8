"""The README's notebook example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(monkeypatch, tmp_path, capsys):
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 12
    # run from a scratch directory; the example's relative job path is relative to the repo
    code = code.replace('"toolkit/demos/', f'"{REPO}/toolkit/demos/')
    monkeypatch.setenv("TOOLKIT_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 5 and all("in 50 years" in line for line in printed)
    assert any((tmp_path / "out").glob("hazard_curve-mean-PGA_*.csv"))
