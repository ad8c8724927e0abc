"""The engine's findings, in the reader's language.

The engine gives each finding a stable code and the params of its sentence (maildns.messages); the Odoo layer
stores both and renders the sentence here, when it is shown, through Odoo's translations: a French reader
reads French findings, whatever the language of the run that found them.
"""

from ..maildns.messages import MESSAGES
from ..maildns.report import Status

# Worst first: the order in which findings are shown, and a banner's level is its first finding's.
SEVERITY_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.INFO, Status.PASS)


def render(env, code: str, params: dict | None) -> str:
    """The sentence of finding `code` with its `params`, translated into the language of `env`."""
    template = MESSAGES.get(code)
    if template is None:
        # A code of a newer engine than the stored one knows: say what it is rather than nothing.
        return code
    return env._(template, **(params or {}))


def worst_first(problems: list, status=lambda problem: problem.status) -> list:
    """Findings sorted worst first, in their order within a severity."""
    return sorted(problems, key=lambda problem: SEVERITY_ORDER.index(Status(status(problem))))
