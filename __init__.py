import importlib.util

# The engine (maildns/) and tools/ run without Odoo: the `maildns` command, monitoring scripts and the engine's
# tests import odoo.addons.mail_domain_health.maildns in a Python where `odoo` is only the namespace this addon
# is installed in. The models and the wizard need Odoo itself.
if importlib.util.find_spec("odoo.models"):
    from . import models
    from . import wizard
