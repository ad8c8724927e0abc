"""The `maildns` command of the odoo-addon-mail_domain_health distribution.

It runs the addon's engine (the maildns package inside odoo/addons/mail_domain_health) without importing
the addon itself, whose models need Odoo: the command works with or without Odoo installed.
"""

import importlib.util
import sys


def main() -> int:
    spec = importlib.util.find_spec("odoo.addons.mail_domain_health")
    if spec is None or not spec.submodule_search_locations:
        print("maildns: the mail_domain_health addon is not installed in this Python", file=sys.stderr)
        return 70
    sys.path.insert(0, list(spec.submodule_search_locations)[0])
    from maildns.cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
