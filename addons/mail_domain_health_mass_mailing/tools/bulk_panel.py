"""The mailing's verdict against the bulk-sender rules as HTML, in the reader's language: each finding rendered
from its code and params (mail_domain_health's tools.findings), every value escaped (a From, a DNS record)."""

from markupsafe import Markup, escape

from odoo.addons.mail_domain_health.maildns import BULK_SOURCES
from odoo.addons.mail_domain_health.tools.findings import render

BADGE_CLASS = {
    "pass": "text-bg-success",
    "info": "text-bg-info",
    "warn": "text-bg-warning",
    "error": "text-bg-warning",
    "fail": "text-bg-danger",
}
# The publishers of the rules, as the panel names them (the sources' full titles are in maildns.bulk.SOURCES).
SOURCE_NAMES = {"google": "Google", "yahoo": "Yahoo", "microsoft": "Microsoft", "rfc8058": "RFC 8058"}


def rules_table(env, verdict: dict) -> Markup:
    """One row per rule: its status, title, finding and fix, and the links to its sources."""
    rows = Markup("").join(_rule_row(env, rule) for rule in verdict["rules"])
    return Markup(
        '<table class="table table-sm o_mail_domain_health_bulk_rules"><thead><tr>'
        "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>"
    ) % (env._("Status"), env._("Rule"), env._("What was found, and the fix"), env._("Source"), rows)


def records_html(env, verdict: dict) -> Markup:
    """The records that fix the From domain's findings, as zone file lines."""
    if not verdict["records_to_publish"]:
        return Markup("")
    lines = Markup("\n").join(
        escape(f"{record['name']}. {record['type']} {record['value']}") for record in verdict["records_to_publish"]
    )
    return Markup('<p class="mb-1">%s</p><pre class="small">%s</pre>') % (
        env._("Records to publish in the DNS of the From domain:"),
        lines,
    )


def receivers_html(env, verdict: dict) -> Markup:
    """What Gmail, Yahoo and Outlook.com do with the mailing's mail, and why (the rules each holds against it)."""
    items = receiver_sentences(env, verdict)
    if not items:
        return Markup('<p class="text-success mb-2">%s</p>') % env._(
            "Gmail, Yahoo and Outlook.com find nothing to hold against this mailing's From and server."
        )
    return Markup('<ul class="text-danger mb-2">%s</ul>') % Markup("").join(
        Markup("<li>%s</li>") % item for item in items
    )


def receiver_sentences(env, verdict: dict) -> list[str]:
    sentences = []
    for outcome in verdict.get("receivers", []):
        rules = ", ".join(render(env, f"bulk.rule.{rule}", {}) for rule in outcome["failed_rules"])
        sentences.append(env._("%(outcome)s: %(rules)s.", outcome=render(env, outcome["code"], {}), rules=rules))
    return sentences


def failing_fixes(env, verdict: dict) -> list[str]:
    """The fixes of the rules the mailing fails, in the rules' order."""
    return [
        render(env, rule["fix"]["code"], rule["fix"]["params"], rule["fix"]["message"])
        for rule in verdict["rules"]
        if rule["status"] == "fail" and rule.get("fix")
    ]


def _rule_row(env, rule: dict) -> Markup:
    status = rule["status"]
    labels = {
        "pass": env._("Pass"),
        "info": env._("Info"),
        "warn": env._("Warning"),
        "error": env._("Unknown"),
        "fail": env._("Fail"),
    }
    finding = rule["finding"]
    text = Markup("%s") % render(env, finding["code"], finding["params"], finding["message"])
    fix = rule.get("fix")
    if fix:
        text += Markup('<br/><i class="fa fa-wrench me-1" title="%s"></i><strong>%s</strong>') % (
            env._("Fix"),
            render(env, fix["code"], fix["params"], fix["message"]),
        )
    sources = Markup(", ").join(
        Markup('<a href="%s" target="_blank" rel="noopener noreferrer">%s</a>')
        % (BULK_SOURCES[source["key"]].url, SOURCE_NAMES.get(source["key"]) or env._("Google FAQ"))
        for source in rule["sources"]
        if source["key"] in BULK_SOURCES
    )
    return Markup(
        '<tr data-rule="%s"><td><span class="badge %s">%s</span></td><td>%s</td><td>%s</td>'
        '<td class="small">%s</td></tr>'
    ) % (
        rule["rule"],
        BADGE_CLASS.get(status, "text-bg-secondary"),
        labels.get(status, status),
        render(env, f"bulk.rule.{rule['rule']}", {}),
        text,
        sources,
    )
