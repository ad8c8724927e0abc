"""The README's map of the addon is the code's: scripts/architecture draws it from the sources."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "architecture"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT)


def test_the_readme_map_is_the_codes():
    result = run("--check")
    assert result.returncode == 0, result.stderr


def test_the_map_shows_each_model_with_its_files_and_the_engine_gate():
    drawn = run().stdout
    assert "<b>mail.domain.check</b><br/>mail_domain_check.py" in drawn
    assert "mail_domain_check_run.py" in drawn
    # Every arrow into the engine comes from the Odoo layer or tools/, never the other way.
    assert not [line for line in drawn.splitlines() if line.strip().startswith("maildns -->")]
    assert "| `models/mail_domain_check_state.py` |" in drawn


def test_the_check_fails_when_the_readme_is_not_the_codes(tmp_path):
    # The script reads README.md beside scripts/: a copy of the repository's two files shows it failing.
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "architecture").write_text(SCRIPT.read_text())
    for layer in ("models", "wizard", "tools"):
        (tmp_path / layer).mkdir()
    (tmp_path / "models" / "thing.py").write_text('class Thing:\n    """A thing."""\n\n    _name = "x.thing"\n')
    (tmp_path / "README.md").write_text("<!-- architecture:begin -->\nold\n<!-- architecture:end -->\n")
    result = subprocess.run(
        [sys.executable, str(tmp_path / "scripts" / "architecture"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "differs" in result.stderr
