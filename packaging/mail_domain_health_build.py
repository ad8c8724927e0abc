"""PEP 517 build backend: whool's wheel of the addon, plus the `maildns` command.

whool packages the addon as odoo/addons/mail_domain_health but writes no console scripts. This backend
lets whool build the wheel, then adds a top-level `maildns_command` module and the entry point that runs
it, and rewrites the wheel's RECORD. The command loads the engine (odoo/addons/mail_domain_health/maildns)
without importing the addon, so it works where Odoo is not installed (pipx install).
"""

import base64
import hashlib
import zipfile
from pathlib import Path

from whool import buildapi
from whool.buildapi import build_sdist  # noqa: F401  (a PEP 517 hook, as whool has it)

COMMAND_MODULE = "maildns_command.py"
ENTRY_POINTS = "[console_scripts]\nmaildns = maildns_command:main\n"


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    name = buildapi.prepare_metadata_for_build_wheel(metadata_directory, config_settings)
    Path(metadata_directory, name, "entry_points.txt").write_text(ENTRY_POINTS)
    return name


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = buildapi.build_wheel(wheel_directory, config_settings, metadata_directory)
    _add_command(Path(wheel_directory, name))
    return name


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    name = buildapi.build_editable(wheel_directory, config_settings, metadata_directory)
    _add_command(Path(wheel_directory, name))
    return name


def _add_command(wheel: Path) -> None:
    """Add the command module and its entry point to `wheel`, and list them in its RECORD."""
    with zipfile.ZipFile(wheel) as source:
        files = {info.filename: source.read(info) for info in source.infolist() if not info.is_dir()}
    dist_info = next(name.split("/")[0] for name in files if name.endswith(".dist-info/METADATA"))
    record = f"{dist_info}/RECORD"
    files.pop(record, None)
    files[COMMAND_MODULE] = Path(__file__).with_name(COMMAND_MODULE).read_bytes()
    files[f"{dist_info}/entry_points.txt"] = ENTRY_POINTS.encode()
    lines = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    files[record] = ("\n".join([*lines, f"{record},,"]) + "\n").encode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in files.items():
            target.writestr(name, data)


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
