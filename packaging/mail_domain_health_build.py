"""PEP 517 build backend: whool's wheel of the addon, plus the `maildns` command.

whool packages the addon as odoo/addons/mail_domain_health but writes no console scripts. This backend lets
whool build the wheel, then adds the entry point of the `maildns` command (the engine's cli, which the addon's
`__init__` lets import without Odoo, so the command works where Odoo is not installed: pipx install) and
rewrites the wheel's RECORD to list it.

whool names the addon after the folder it builds from; a checkout may sit in a folder of any name, so the
editable wheel is built through a link named after the addon, and its odoo/addons/mail_domain_health link
then points at the checkout itself.
"""

import base64
import hashlib
import tempfile
import zipfile
from pathlib import Path

from whool import buildapi
from whool.buildapi import build_sdist  # noqa: F401  (a PEP 517 hook, as whool has it)

ADDON = "mail_domain_health"
ENTRY_POINTS = f"[console_scripts]\nmaildns = odoo.addons.{ADDON}.maildns.cli:main\n"


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    name = buildapi.prepare_metadata_for_build_wheel(metadata_directory, config_settings)
    Path(metadata_directory, name, "entry_points.txt").write_text(ENTRY_POINTS)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = buildapi.build_wheel(wheel_directory, config_settings, metadata_directory)
    _add_entry_points(Path(wheel_directory, name))
    return name


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    checkout = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        addon = Path(folder, ADDON)
        addon.symlink_to(checkout, target_is_directory=True)
        name = buildapi._build_wheel(addon, Path(wheel_directory), editable=True)
    # whool links build/__editable__/odoo/addons/<addon> to the folder it was given, the temporary link.
    link = checkout / "build" / "__editable__" / "odoo" / "addons" / ADDON
    link.unlink()
    link.symlink_to(checkout, target_is_directory=True)
    _add_entry_points(Path(wheel_directory, name))
    return name


def _add_entry_points(wheel: Path) -> None:
    """Add the command's entry point to `wheel`, and list it in its RECORD."""
    with zipfile.ZipFile(wheel) as source:
        files = {info.filename: source.read(info) for info in source.infolist() if not info.is_dir()}
    dist_info = next(name.split("/")[0] for name in files if name.endswith(".dist-info/METADATA"))
    record = f"{dist_info}/RECORD"
    files.pop(record, None)
    files[f"{dist_info}/entry_points.txt"] = ENTRY_POINTS.encode()
    lines = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    files[record] = ("\n".join([*lines, f"{record},,"]) + "\n").encode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in files.items():
            target.writestr(name, data)


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
