"""The distribution: the wheel built with whool installs the addon and the `maildns` command.

The wheel is built from a clone of the committed tree in a folder named after the addon (whool takes the
addon's name from it and its files from git), installed without dependencies into a virtual environment
that sees this Python's packages (dnspython, through a .pth file), and the command is run from there.
"""

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="the wheel is built from a git checkout"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    checkout = work / "mail_domain_health"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(work), "."],
        cwd=checkout,
        check=True,
    )
    (wheel,) = work.glob("odoo_addon_mail_domain_health-19.0.*.whl")
    environment = work / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    # The new environment sees this one's packages (dnspython), whether this one is a virtual environment
    # or not: the wheel's own dependencies are not downloaded. This one may hold the addon too (scripts/setup
    # installs it for the maildns command): the wheel goes into the new one all the same (--ignore-installed).
    (site_packages,) = environment.glob("lib/python*/site-packages")
    (site_packages / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--ignore-installed",
            str(wheel),
        ],
        check=True,
    )
    return environment


def test_wheel_installs_the_addon_into_the_odoo_addons_namespace(installed):
    found = list(installed.glob("lib/python*/site-packages/odoo/addons/mail_domain_health/__manifest__.py"))
    assert len(found) == 1
    assert (found[0].parent / "maildns" / "spf.py").is_file()


def test_maildns_command_runs_the_engine(installed):
    command = installed / "bin" / "maildns"
    helped = subprocess.run([command, "--help"], capture_output=True, text=True, check=False)
    assert helped.returncode == 0
    assert "check" in helped.stdout and "spf" in helped.stdout
    refused = subprocess.run([command, "check", "a@b@c"], capture_output=True, text=True, check=False)
    assert refused.returncode == 64
    assert refused.stderr.strip().splitlines() == ["maildns: 'a@b@c': an address has exactly one '@'"]
