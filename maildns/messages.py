"""The English sentence of every finding, by its stable code.

The codes are those of problems (report.Finding) and the reason codes of
sender detections (providers.SenderDetection, codes sender.*).

A problem (see report.Finding) carries a `code` and the `params` its sentence
needs: every variable part (domain, address, record, count...) is a param, and
its `message` is rendered from this table, so the English text and the data
can never drift apart. A user interface in another language keeps its own
table keyed by the same codes and fills it with the same params: the
placeholders are `%(name)s`, the syntax of Python's %-formatting and of Odoo's
translations. Param values are strings or integers.

Params named `detail` hold a technical fragment (a parser's reason, a DNS
server's reply) that has no translation: show it as it is.
"""

import re
from collections.abc import Mapping


def _(template: str) -> str:
    """Marks a template for translation catalogues and gives it back as is: the engine speaks English, and the
    Odoo addon's catalogues (which Odoo fills from every `_()` call of the addon's code) translate it there."""
    return template


MESSAGES: dict[str, str] = {
    # The domain itself.
    "domain.not_found": _(
        "The domain %(domain)s does not exist in DNS: check the spelling, or register the domain before "
        "sending mail from it."
    ),
    "domain.free_mail": _(
        "%(domain)s is a public email service: only its own servers can send as %(domain)s, and its DMARC "
        "policy tells receivers to refuse or junk what others send. Give your users addresses on a domain "
        "you manage."
    ),
    # What the SPF, DKIM and DMARC parts of a public email service's check say (address.free_mail_reason).
    "domain.free_mail_part": _("Not yours to change: %(domain)s is a public email service."),
    "domain.free_mail_dmarc": _(
        "%(domain)s enforces DMARC (p=%(policy)s): receivers refuse or junk the mail Odoo sends as its addresses."
    ),
    # DNS faults. Timeouts, refusals and unusable replies come from the DNS server this check asks (the
    # configured one, or the system's); SERVFAIL is that server saying the domain's own name servers failed.
    # A part (SPF, DKIM, DMARC) whose status is an error and which has nothing else to say: the faults are
    # listed apart, each once.
    "part.unanswered": _("Unknown: the DNS did not answer (see below)."),
    "dns.timeout": _(
        "The DNS server %(nameserver)s did not answer about %(name)s in time (%(detail)s): the result is "
        "unknown. Check that this DNS server is reachable, or try again later."
    ),
    "dns.refused": _(
        "The DNS server %(nameserver)s refused to answer about %(name)s (%(detail)s): the result is unknown. "
        "Check the DNS servers this check asks."
    ),
    "dns.servfail": _(
        "The name servers of %(name)s failed to answer (%(nameserver)s %(detail)s): the result is unknown "
        "until the domain's DNS answers again."
    ),
    "dns.error": _(
        "The DNS server %(nameserver)s gave no usable answer about %(name)s (%(detail)s): the result is unknown."
    ),
    # SPF.
    "spf.missing": _(
        "%(domain)s has no SPF record: publish this TXT record so that receivers accept the mail "
        "%(provider)s sends for you."
    ),
    "spf.multiple_records": _(
        "%(domain)s has %(count)s SPF records (%(records)s); receivers then reject all of them (permerror). "
        "Merge them into a single TXT record starting with v=spf1 and delete the others."
    ),
    "spf.syntax": _(
        "The SPF record of %(domain)s has an error at character %(position)s: %(detail)s. Receivers treat the "
        "whole record as a permanent error: correct it."
    ),
    "spf.include_not_domain": _(
        "The SPF record of %(domain)s includes or redirects to %(include)s, which is not a domain: receivers "
        "return a permanent error. Correct that term."
    ),
    "spf.include_no_record": _(
        "The SPF record of %(domain)s includes or redirects to %(include)s, which has %(count)s SPF records "
        "instead of one: receivers return a permanent error. Remove that term or correct its target."
    ),
    "spf.include_syntax": _(
        "The SPF record of %(include)s, included by or redirected to from %(domain)s, has an error at "
        "character %(position)s: %(detail)s. Receivers return a permanent error."
    ),
    "spf.include_loop": _(
        "The SPF record of %(domain)s loops (%(loop)s): receivers follow it until they pass %(limit)s DNS "
        "lookups and return a permanent error. Remove the include or redirect that closes the loop."
    ),
    "spf.too_many_lookups": _(
        "The SPF record of %(domain)s needs %(count)s DNS lookups, more than the limit of %(limit)s: receivers "
        "return a permanent error. Remove includes you no longer use, or replace them with ip4:/ip6: ranges."
    ),
    "spf.near_lookup_limit": _(
        "The SPF record of %(domain)s needs %(count)s DNS lookups, close to the limit of %(limit)s: one more "
        "include would break it. Remove includes you no longer use."
    ),
    "spf.too_many_void_lookups": _(
        "%(count)s lookups of the SPF record of %(domain)s find nothing (%(names)s), more than the limit of "
        "%(limit)s: receivers return a permanent error. Remove the terms that point to names without records."
    ),
    "spf.ptr_used": _(
        "The SPF record of %(domain)s uses the ptr mechanism (in the record of %(where)s), which is slow, "
        "unreliable and discouraged (RFC 7208, 5.5): replace it with ip4:, ip6: or a: terms."
    ),
    "spf.allows_all": _(
        "The SPF record of %(domain)s authorizes every server on the Internet to send as %(domain)s "
        "(+all in %(where)s): end the record with ~all or -all instead."
    ),
    "spf.sender_not_authorized": _(
        "The SPF record of %(domain)s does not authorize %(provider)s: add %(mechanism)s right after v=spf1."
    ),
    "spf.sender_unknown": _(
        "Whether the SPF record of %(domain)s authorizes %(provider)s is not known: the public addresses it sends "
        "from are not. Give them (in the settings: Public sending addresses), so that this can be checked."
    ),
    "spf.return_path_elsewhere": _(
        "%(provider)s sends with a bounce address that is not %(domain)s itself, so receivers check SPF against "
        "that address and not against the SPF record of %(domain)s: DMARC passes through DKIM (see below)."
    ),
    "spf.all_not_last": _(
        "The SPF record of %(domain)s has %(all)s before other terms: receivers stop reading at %(all)s and "
        "never see %(ignored)s. Move %(all)s to the end of the record."
    ),
    "spf.suggested_over_limit": _(
        "The SPF record to publish for %(domain)s would need %(count)s DNS lookups, more than the limit of "
        "%(limit)s: remove includes you no longer use, or replace them with ip4:/ip6: ranges, before "
        "publishing it."
    ),
    # DKIM.
    "dkim.missing": _(
        "No DKIM key at %(name)s: publish the CNAME to %(target)s, %(provider)s's key, so its mail is signed for you."
    ),
    "dkim.missing_cname": _(
        "No DKIM record at %(name)s: enable DKIM in %(provider)s's admin console and publish its CNAME."
    ),
    "dkim.missing_key": _(
        "No DKIM key at %(name)s: publish the public key %(provider)s gives you (in its admin console, or from "
        "your mail server's DKIM set-up) as a TXT record there, in place of <public key>."
    ),
    "dkim.missing_at_target": _(
        "%(name)s points to %(target)s, where no DKIM key is published: enable DKIM for this domain in "
        "%(provider)s, or ask its support to publish the key."
    ),
    "dkim.wrong_target": _(
        "%(name)s points to %(target)s, not to %(provider)s's key (%(expected)s): mail %(provider)s signs for "
        "you fails DKIM. Make the CNAME point to the provider's key."
    ),
    "dkim.third_party_cname": _(
        "%(name)s reaches %(provider)s's key through %(via)s, which another party runs: signing works, but "
        "stops working if that name changes. Point the CNAME straight at %(provider)s's key."
    ),
    "dkim.selector_unknown": _(
        "No DKIM key of %(domain)s was found for %(provider)s, at the selectors receivers reported or at the "
        "common ones (%(tried)s): whether its mail is signed is not known. Give the DKIM selector it signs "
        "with (in the settings: DKIM selectors), so that its key can be checked."
    ),
    "dkim.no_key": _(
        "%(domain)s publishes no DKIM key at all (nothing under _domainkey.%(domain)s): the mail %(provider)s "
        "sends is not signed for %(domain)s. Set up DKIM for %(domain)s in %(provider)s and publish its key."
    ),
    "dkim.not_searched": _(
        "%(domain)s is not one of your domains (no company or user of yours sends as it): a key published there "
        "is its owner's, not %(provider)s's, so the mail %(provider)s sends as %(domain)s does not pass DKIM."
    ),
    "dkim.selector_found": _(
        "The DKIM key of %(domain)s was found at the selector %(selector)s: it is the one checked. If "
        "%(provider)s signs with another one, give it in the settings (DKIM selectors)."
    ),
    "dkim.syntax": _("The DKIM record at %(name)s is unusable: %(detail)s. Publish the key again."),
    "dkim.revoked": _(
        "The key at %(name)s is revoked (empty p=): nothing signed with it passes. Publish the current key."
    ),
    "dkim.weak_key": _(
        "The RSA key at %(name)s has %(bits)s bits: receivers ignore keys under 1024 bits and may stop "
        "accepting keys under 2048. Publish a key of 2048 bits."
    ),
    "dkim.not_cname": _(
        "%(name)s holds a copy of %(provider)s's key as TXT: it breaks at the provider's next key rotation. "
        "Publish the CNAME instead."
    ),
    # DMARC.
    "dmarc.provider_fails": _(
        "Neither SPF nor DKIM of %(domain)s authorizes %(provider)s, and its DMARC policy is %(policy)s: receivers "
        "apply it to the mail %(provider)s sends as %(domain)s. Authorize %(provider)s in SPF and DKIM (see above)."
    ),
    "dmarc.provider_fails_dkim": _(
        "%(provider)s sends with a bounce address of its own, so only its DKIM signature can pass the DMARC "
        "policy of %(domain)s (%(policy)s), and it does not: receivers apply the policy to the mail %(provider)s "
        "sends as %(domain)s. Publish %(provider)s's DKIM records (see above)."
    ),
    "dmarc.provider_unknown": _(
        "Whether the mail %(provider)s sends as %(domain)s passes its DMARC policy (%(policy)s) is not known: "
        "neither SPF nor DKIM could be checked for it (see above)."
    ),
    "dmarc.policy_none": _(
        "The DMARC policy that applies to %(domain)s (published at _dmarc.%(record_domain)s) is none: receivers "
        "deliver mail that fails SPF and DKIM, so anyone can send as %(domain)s. Once the reports show that your "
        "own mail passes, move to p=quarantine, then p=reject."
    ),
    "dmarc.missing": _(
        "%(domain)s publishes no DMARC policy: receivers decide alone what to do with mail that fails. Publish "
        "p=none to receive reports, then move to quarantine or reject once they show all your mail passes."
    ),
    "dmarc.multiple_records": _(
        "_dmarc.%(domain)s holds %(count)s DMARC records, so receivers ignore them all: keep only one."
    ),
    "dmarc.syntax": _("The DMARC record of %(domain)s: %(detail)s. Publish the corrected record."),
    "dmarc.rua_unauthorized": _(
        "The DMARC record of %(domain)s sends reports (%(tags)s) to %(destination)s, which has not agreed to "
        "receive them, so receivers send it none. Ask whoever runs %(destination)s to publish this TXT record, "
        "or send the reports to an address at %(domain)s."
    ),
    # For information: where the domain's aggregate reports should go, when the checking run was given an address.
    "dmarc.report_address": _(
        "Add %(address)s to the rua= tag of the DMARC record of %(domain)s, so that receivers send it their "
        "aggregate reports: what they saw of the mail sent as %(domain)s."
    ),
    "dmarc.report_consent": _(
        "Receivers send the reports of %(domain)s to %(destination)s only once %(destination)s agrees to receive "
        "them: publish this TXT record in the DNS zone of %(destination)s."
    ),
    # An address Odoo sends as.
    "address.dmarc_reject": _(
        "The DMARC policy of %(domain)s is reject: receivers refuse mail that Odoo sends as %(address)s. Give "
        "this user an address on a domain you manage, or, if %(domain)s is yours, authorize the servers Odoo "
        "sends through in its SPF and DKIM records."
    ),
    "address.dmarc_quarantine": _(
        "The DMARC policy of %(domain)s is quarantine: mail that Odoo sends as %(address)s lands in spam. Give "
        "this user an address on a domain you manage, or, if %(domain)s is yours, authorize the servers Odoo "
        "sends through in its SPF and DKIM records."
    ),
    # On a public email service, only what receivers do: the free-mail finding gives the fix.
    "address.free_mail_dmarc_reject": _(
        "The DMARC policy of %(domain)s is reject: receivers refuse mail that Odoo sends as %(address)s."
    ),
    "address.free_mail_dmarc_quarantine": _(
        "The DMARC policy of %(domain)s is quarantine: mail that Odoo sends as %(address)s lands in spam."
    ),
    "address.accepted": _("Receivers accept the mail Odoo sends as %(address)s."),
    "address.invalid": _(
        "%(text)s is not an email address the check can read: whether receivers accept the mail sent as it "
        "is not known. Correct the address."
    ),
    "address.dmarc_unknown": _(
        "The DMARC policy of %(domain)s is %(policy)s, and whether the mail Odoo sends as %(address)s passes it "
        "is not known: the check of %(domain)s says what is missing."
    ),
    "address.rewritten": _(
        "Odoo sends the mail of %(address)s as its notifications address, with the author's name: the DMARC "
        "policy of %(domain)s does not apply to it."
    ),
    "address.free_mail": _(
        "%(domain)s is a public email service: Odoo can never be authorized to send as %(address)s. Give this "
        "user an address on a domain you manage."
    ),
    # Mail Odoo relays as a contact's address (address.relay_verdict): what receivers do, the fixes being a
    # contact's, not a user's.
    "relay.dmarc_reject": _(
        "The DMARC policy of %(domain)s is reject: receivers refuse the messages Odoo relays as %(address)s."
    ),
    "relay.dmarc_quarantine": _(
        "The DMARC policy of %(domain)s is quarantine: the messages Odoo relays as %(address)s land in spam."
    ),
    # How a record to publish goes in the zone (report.Publication): beside the others, or in place of the
    # domain's SPF or DMARC record, a second one voiding both.
    "publish.add": _("Add:"),
    "publish.replace_spf": _("Replace your current SPF record %(record)s with:"),
    "publish.replace_dmarc": _("Replace your current DMARC record %(record)s with:"),
    # Who sends Odoo's mail (providers.detect_sender and chosen_sender): reason codes, not problems.
    "sender.mail_server": _("Odoo sends through its outgoing mail server %(server)s (%(host)s), run by %(provider)s."),
    "sender.mail_server_relay": _(
        "Odoo sends through its outgoing mail server %(server)s (%(host)s), a server of your own at %(addresses)s."
    ),
    "sender.config_smtp": _(
        "Odoo sends through %(host)s, the SMTP server of its configuration file, run by %(provider)s."
    ),
    "sender.config_relay": _(
        "Odoo sends through %(host)s, the SMTP server of its configuration file, a server of your own at %(addresses)s."
    ),
    "sender.local_mta": _(
        "Odoo hands its mail to the mail server of its own machine (%(host)s), which sends it from public "
        "addresses the DNS cannot tell: give them in the settings."
    ),
    "sender.private_relay": _(
        "Odoo sends through %(host)s, known here only by private addresses (%(addresses)s): give the public "
        "addresses its mail leaves from in the settings."
    ),
    "sender.unresolved": _(
        "The address of %(host)s, the server Odoo sends through, cannot be found (%(detail)s): give the public "
        "addresses its mail leaves from in the settings."
    ),
    "sender.odoo_hosted": _(
        "This database is hosted by Odoo and has no outgoing mail server of its own: Odoo's servers send its mail."
    ),
    "sender.chosen": _("The sending service is chosen in the settings: %(provider)s."),
    "sender.chosen_self_hosted": _(
        "The sending service is chosen in the settings: a server of your own at %(addresses)s."
    ),
    # The bulk-sender rules of Gmail, Yahoo and Outlook.com (maildns.bulk): each rule's title, what each receiver
    # does with mail that breaks them, each rule's findings (bulk.<rule>.<outcome>) and fixes
    # (bulk.fix.<rule>.<outcome>).
    "bulk.rule.own_domain": _("From address on a domain you control"),
    "bulk.rule.spf": _("SPF passes"),
    "bulk.rule.dkim": _("DKIM signature passes"),
    "bulk.rule.dmarc": _("DMARC record (p=none at least)"),
    "bulk.rule.alignment": _("From domain aligned with SPF or DKIM"),
    "bulk.rule.reverse_dns": _("Forward-confirmed reverse DNS of the sending addresses"),
    "bulk.rule.tls": _("TLS on the way out"),
    "bulk.rule.one_click": _("One-click unsubscribe (RFC 8058)"),
    "bulk.rule.spam_rate": _("Low spam complaint rate"),
    "bulk.receiver.gmail": _("Gmail rejects this mail or puts it in spam"),
    "bulk.receiver.yahoo": _("Yahoo Mail rejects this mail or puts it in spam"),
    "bulk.receiver.outlook": _("Outlook.com puts this mail in Junk, and may reject it (550 5.7.515)"),
    "bulk.own_domain.pass": _("%(address)s is on %(domain)s, which is not a public email service."),
    "bulk.own_domain.free_mail": _(
        "%(address)s is on %(domain)s, a public email service whose DMARC policy makes receivers refuse mail "
        "sent as it from anywhere else."
    ),
    "bulk.fix.own_domain.free_mail": _("Send the mailing from an address on a domain of your own, not on %(domain)s."),
    "bulk.spf.pass": _("The SPF record of %(domain)s authorizes %(provider)s."),
    "bulk.spf.fail": _("The SPF record of %(domain)s does not authorize %(provider)s, which sends this mailing."),
    "bulk.fix.spf.fail": _("Publish the SPF record of %(domain)s given below, which authorizes %(provider)s."),
    "bulk.spf.unknown": _(
        "The SPF of %(domain)s could not be told: the DNS did not answer, or the sending server's addresses are "
        "not known."
    ),
    "bulk.dkim.pass": _("%(provider)s signs the mail of %(domain)s with a DKIM key published in its DNS."),
    "bulk.dkim.warn": _("%(provider)s signs the mail of %(domain)s with DKIM, but the key has a weakness."),
    "bulk.fix.dkim.warn": _(
        "See the DKIM findings of %(domain)s for %(provider)s, and fix them before they break signing."
    ),
    "bulk.dkim.fail": _("No working DKIM key of %(domain)s for %(provider)s: bulk senders need DKIM as well as SPF."),
    "bulk.fix.dkim.fail": _(
        "Set up DKIM signing of %(domain)s with %(provider)s and publish its key (the record below, where one is "
        "given)."
    ),
    "bulk.dkim.unknown": _("The DKIM of %(domain)s could not be told: the DNS did not answer."),
    "bulk.dmarc.pass": _("%(domain)s publishes a DMARC record, with the policy %(policy)s."),
    "bulk.dmarc.policy_none": _("%(domain)s publishes a DMARC record with p=none: enough for the bulk-sender rules."),
    "bulk.fix.dmarc.policy_none": _(
        "Advice: once the DMARC reports show that all your mail passes, move %(domain)s to p=quarantine, then "
        "p=reject, so that no one else can send as it."
    ),
    "bulk.dmarc.missing": _("%(domain)s publishes no usable DMARC record."),
    "bulk.fix.dmarc.missing": _("Publish a DMARC record for %(domain)s (v=DMARC1; p=none at least, given below)."),
    "bulk.dmarc.unknown": _("The DMARC of %(domain)s could not be told: the DNS did not answer."),
    "bulk.alignment.pass": _(
        "Mail from %(provider)s passes the DMARC of %(domain)s: SPF or DKIM is aligned with the From."
    ),
    "bulk.alignment.fail": _(
        "Mail from %(provider)s passes neither SPF nor DKIM aligned with %(domain)s: it fails DMARC."
    ),
    "bulk.fix.alignment.fail": _(
        "Authorize %(provider)s in the SPF of %(domain)s and have it sign with a DKIM key of %(domain)s."
    ),
    "bulk.alignment.unknown": _(
        "Whether mail passes the DMARC of %(domain)s could not be told: the DNS did not answer."
    ),
    "bulk.reverse_dns.provider": _("%(provider)s sends from its own servers, whose reverse DNS it keeps."),
    "bulk.reverse_dns.pass": _("Every sending address has a reverse name that resolves back to it: %(addresses)s."),
    "bulk.reverse_dns.fail": _(
        "These sending addresses have no reverse name, or one that does not resolve back to them: %(addresses)s."
    ),
    "bulk.fix.reverse_dns.fail": _(
        "Ask whoever runs these addresses (your hosting provider) for a PTR record naming a host whose A or AAAA "
        "record gives the address back: %(addresses)s."
    ),
    "bulk.reverse_dns.no_addresses": _(
        "The public addresses of your mail server are not known: their reverse DNS could not be checked."
    ),
    "bulk.fix.reverse_dns.no_addresses": _(
        "Give the public addresses your mail server sends from in the mail domain settings."
    ),
    "bulk.reverse_dns.no_answer": _("The reverse DNS of %(addresses)s could not be told: the DNS did not answer."),
    "bulk.tls.pass": _("Odoo hands the mail to %(server)s over an encrypted connection."),
    "bulk.tls.none": _("Odoo hands the mail to %(server)s without encryption (no TLS)."),
    "bulk.fix.tls.none": _("Set the outgoing mail server %(server)s to use TLS (STARTTLS or SSL/TLS)."),
    "bulk.tls.unknown": _("Whether %(server)s uses TLS cannot be seen from here."),
    "bulk.one_click.pass": _(
        "The mail carries List-Unsubscribe with an HTTPS link and List-Unsubscribe-Post: List-Unsubscribe=One-Click."
    ),
    "bulk.one_click.missing": _(
        "The mail as Odoo prepares it lacks the one-click unsubscribe headers (List-Unsubscribe with an HTTPS "
        "link, List-Unsubscribe-Post: List-Unsubscribe=One-Click)."
    ),
    "bulk.fix.one_click.missing": _(
        "Send marketing mail through Email Marketing, which adds the one-click unsubscribe headers, and keep the "
        "unsubscribe link in the body."
    ),
    "bulk.one_click.not_https": _(
        "The mail carries the one-click unsubscribe headers, but their link is not HTTPS: RFC 8058 requires an "
        "HTTPS link, and receivers ignore the others."
    ),
    "bulk.fix.one_click.not_https": _(
        "Serve Odoo over HTTPS and set its base URL (the system parameter web.base.url) to its https:// address."
    ),
    "bulk.one_click.unchecked": _("The headers of this mailing's mail have not been checked yet."),
    "bulk.spam_rate.unknown": _(
        "DNS cannot tell the share of your mail that recipients report as spam: read it in %(tools)s, and keep it "
        "under 0.1%%, never at 0.3%%."
    ),
    "bulk.spam_rate.reported": _(
        "DNS cannot tell the share of your mail that recipients report as spam: read it in %(tools)s, and keep it "
        "under 0.1%%, never at 0.3%%. Messages receivers reported in DMARC reports (30 days): %(receivers)s."
    ),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
PLACEHOLDERS: dict[str, frozenset[str]] = {
    code: frozenset(_PLACEHOLDER.findall(template)) for code, template in MESSAGES.items()
}


def render(code: str, params: Mapping[str, str | int]) -> str:
    """The English sentence of `code` filled with `params`; raises KeyError for an unknown code or param."""
    return MESSAGES[code] % params
