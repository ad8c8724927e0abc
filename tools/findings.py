"""The engine's findings, in the reader's language.

The engine gives each finding a stable code and the params of its sentence (maildns.messages); the Odoo layer
stores both and renders the sentence here, when it is shown, through Odoo's translations: a French reader
reads French findings, whatever the language of the run that found them.
"""

from ..maildns import MESSAGES, PLACEHOLDERS, Status, to_unicode

# Worst first: the order in which findings are shown, and a banner's level is its first finding's.
SEVERITY_ORDER = (Status.FAIL, Status.ERROR, Status.UNKNOWN, Status.WARN, Status.INFO, Status.PASS)


def render(env, code: str, params: dict | None, default: str | None = None) -> str:
    """The sentence of finding `code` with its `params`, translated into the language of `env`.

    default: what to say when the sentence cannot be made (a finding stored by an older version, without
    params, or a code this version does not know): the English message stored with it, else the code.
    """
    template = MESSAGES.get(code)
    if template is None or set(params or {}) != PLACEHOLDERS.get(code, set()):
        return default or code
    # A provider's label is a name ("Google Workspace") or a phrase ("your mail server ..."): the phrases are in
    # the catalogues too, and a name has no translation, so it stays as it is.
    params = {
        key: env._(value) if key == "provider" and isinstance(value, str) else value for key, value in params.items()
    }
    params = {key: readable(key, value) for key, value in params.items()}
    try:
        return env._(template, **params)
    except (KeyError, TypeError, ValueError):
        return default or code


def readable(key: str, value):
    """A param as people write it: the engine gives names as the DNS asks them (A-labels, "xn--..."), and an
    address's domain likewise; both are shown in Unicode."""
    if not isinstance(value, str):
        return value
    if key in ("domain", "name", "host", "record_domain"):
        return to_unicode(value)
    if key == "address" and "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local}@{to_unicode(domain)}"
    return value


def worst_first(findings: list, status=lambda finding: finding.status) -> list:
    """Findings sorted worst first, in their order within a severity."""
    return sorted(findings, key=lambda finding: SEVERITY_ORDER.index(Status(status(finding))))
