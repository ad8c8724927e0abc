"""tools/findings.py: the engine's findings rendered in the reader's language, and ordered worst first."""

from dataclasses import dataclass

import pytest

from odoo.addons.mail_domain_health.maildns import MESSAGES, PLACEHOLDERS, Status
from odoo.addons.mail_domain_health.tools.findings import readable, render, worst_first


class FrenchEnvironment:
    """What render() asks of an Odoo environment: `_`, here translating through a tiny catalogue."""

    def __init__(self, catalogue):
        self.catalogue = catalogue

    def _(self, source, **params):
        return self.catalogue.get(source, source) % params if params else self.catalogue.get(source, source)


CODE = next(code for code, names in PLACEHOLDERS.items() if names == {"domain"})


def test_render_translates_the_sentence_and_shows_the_domain_in_unicode():
    env = FrenchEnvironment({MESSAGES[CODE]: "Traduit pour %(domain)s"})
    assert render(env, CODE, {"domain": "xn--bckerei-mller-bfb28a.check.test"}) == (
        "Traduit pour bäckerei-müller.check.test"
    )


def test_render_falls_back_to_the_stored_message_or_the_code():
    env = FrenchEnvironment({})
    assert render(env, "no.such_code", {}, "stored message") == "stored message"
    assert render(env, "no.such_code", {}) == "no.such_code"
    # A finding stored without its params (an older version) cannot be made into a sentence.
    assert render(env, CODE, None, "stored message") == "stored message"


def test_render_falls_back_when_the_translation_does_not_fit_the_params():
    env = FrenchEnvironment({MESSAGES[CODE]: "Traduit pour %(domaine)s"})
    assert render(env, CODE, {"domain": "example.com"}, "stored message") == "stored message"


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("domain", "xn--bckerei-mller-bfb28a.check.test", "bäckerei-müller.check.test"),
        ("address", "info@xn--bckerei-mller-bfb28a.check.test", "info@bäckerei-müller.check.test"),
        ("address", "no address", "no address"),
        ("selector", "xn--bckerei", "xn--bckerei"),
        ("domain", 3, 3),
    ],
)
def test_readable(key, value, shown):
    assert readable(key, value) == shown


@dataclass
class Finding:
    name: str
    status: Status


def test_worst_first_keeps_the_order_within_a_severity():
    findings = [
        Finding("info", Status.INFO),
        Finding("warn 1", Status.WARN),
        Finding("fail", Status.FAIL),
        Finding("warn 2", Status.WARN),
        Finding("unknown", Status.UNKNOWN),
    ]
    assert [finding.name for finding in worst_first(findings)] == ["fail", "unknown", "warn 1", "warn 2", "info"]
    rows = [{"severity": "warn"}, {"severity": "error"}]
    assert worst_first(rows, status=lambda row: row["severity"]) == [{"severity": "error"}, {"severity": "warn"}]
