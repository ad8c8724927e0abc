"""DKIM: key records, selectors and where they point, over the real DNS server; the key parsers without DNS."""

import base64
from pathlib import Path

import pytest

from odoo.addons.mail_domain_health.maildns import Resolver
from odoo.addons.mail_domain_health.maildns.check import check_domain
from odoo.addons.mail_domain_health.maildns.dkim import (
    InvalidKey,
    audit_dkim,
    parse_key_record,
    parse_tags,
    rsa_modulus_bits,
)
from odoo.addons.mail_domain_health.maildns.providers import get_provider
from odoo.addons.mail_domain_health.maildns.result import Status
from odoo.addons.mail_domain_health.tests.support.dnsproxy import Fault, FaultProxy

ZONE = "dkim-scenarios.test"
ODOO = get_provider("odoo")
GOOGLE = get_provider("google")
MICROSOFT = get_provider("microsoft")
OWN_SERVER = get_provider("ip:192.0.2.25")
ODOO_KEY = "odoo._domainkey.odoo.com"
ZONE_FILE = Path(__file__).resolve().parents[1] / "zones" / f"{ZONE}.zone"


def own_key(resolver, label, selectors=("mail",)):
    return audit_dkim(f"{label}.{ZONE}", OWN_SERVER, selectors, resolver=resolver)


def fix_of(report, code):
    return next(problem.record for problem in report.findings if problem.code == code)


def zone_key(label: str) -> str:
    """The p= value of a key as the DKIM scenario zone file holds it."""
    for line in ZONE_FILE.read_text().splitlines():
        if line.startswith(f"mail._domainkey.{label} "):
            return parse_tags("".join(line.split('"')[1::2])).tags["p"]
    raise LookupError(label)


# Keys and their sizes.


@pytest.mark.parametrize(
    ("label", "key_type", "bits"),
    [
        ("rsa2048", "rsa", 2048),
        ("rsa4096", "rsa", 4096),
        ("nokind", "rsa", 2048),
        ("pkcs1", "rsa", 2048),
        ("folded", "rsa", 2048),
        ("ed25519", "ed25519", 256),
    ],
)
def test_good_keys_pass_with_their_type_and_size(resolver, label, key_type, bits):
    report = own_key(resolver, label)
    assert report.status is Status.PASS, report.codes()
    assert (report.selector, report.key_type, report.key_bits) == ("mail", key_type, bits)
    assert report.record.startswith(("v=DKIM1", "p="))


def test_key_split_over_several_strings_is_read_whole(resolver):
    report = own_key(resolver, "rsa4096")
    assert len(report.record) > 255
    assert report.record.endswith("AQAB") or report.record.endswith("=")
    assert report.key_bits == 4096


@pytest.mark.parametrize(("label", "bits", "status"), [("rsa1024", 1024, Status.WARN), ("rsa512", 512, Status.FAIL)])
def test_short_rsa_keys_are_weak(resolver, label, bits, status):
    report = own_key(resolver, label)
    assert report.codes() == ["dkim.weak_key"]
    assert report.key_bits == bits
    assert report.status is status
    assert "2048 bits" in report.findings[0].message


def test_revoked_key_fails(resolver):
    report = own_key(resolver, "revoked")
    assert report.codes() == ["dkim.revoked"]
    assert report.status is Status.FAIL
    assert report.key_bits is None


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("badb64", "base64"),
        ("notakey", "DER"),
        ("edlength", "32 bytes"),
        ("unknownk", "k=dsa"),
        ("vlast", "v= must come first"),
        ("nop", "no p="),
        ("duplicate", "more than once"),
        ("webonly", "s=web"),
        ("sha1only", "h=sha1"),
    ],
)
def test_unusable_records_are_syntax_failures(resolver, label, reason):
    report = own_key(resolver, label)
    assert report.codes() == ["dkim.syntax"]
    assert report.status is Status.FAIL
    assert reason in report.findings[0].message


def test_alias_chain_is_followed_to_the_key(resolver):
    report = own_key(resolver, "chained")
    assert report.status is Status.PASS
    assert report.cname_target == f"keys.chained.{ZONE}"
    assert report.key_bits == 2048


def test_missing_key_of_own_server_asks_for_a_txt_record(resolver):
    report = own_key(resolver, "probe-none")
    assert report.codes() == ["dkim.missing_key"]
    fix = fix_of(report, "dkim.missing_key")
    assert (fix.name, fix.type) == (f"mail._domainkey.probe-none.{ZONE}", "TXT")
    assert fix.value.startswith("v=DKIM1; k=rsa; p=")


# Odoo: a CNAME to odoo._domainkey.odoo.com.


def test_odoo_cname_passes_with_odoo_key(resolver):
    report = audit_dkim(f"odoo-cname.{ZONE}", ODOO, resolver=resolver)
    assert report.status is Status.PASS
    assert (report.selector, report.cname_target, report.key_bits) == ("odoo", ODOO_KEY, 2048)
    assert report.selectors_checked == ("odoo",)


@pytest.mark.parametrize("label", ["odoo-elsewhere", "odoo-dangling"])
def test_odoo_cname_pointing_elsewhere_is_wrong_target_with_the_cname_to_publish(resolver, label):
    report = audit_dkim(f"{label}.{ZONE}", ODOO, resolver=resolver)
    assert report.codes() == ["dkim.wrong_target"]
    fix = fix_of(report, "dkim.wrong_target")
    assert (fix.name, fix.type, fix.value) == (f"odoo._domainkey.{label}.{ZONE}", "CNAME", ODOO_KEY + ".")


def test_odoo_key_pasted_as_txt_warns_it_breaks_at_rotation(resolver):
    report = audit_dkim(f"odoo-pasted.{ZONE}", ODOO, resolver=resolver)
    assert report.codes() == ["dkim.not_cname"]
    assert report.status is Status.WARN
    assert "rotation" in report.findings[0].message
    assert fix_of(report, "dkim.not_cname").type == "CNAME"


def test_revoked_paste_asks_for_the_cname(resolver):
    report = audit_dkim(f"odoo-revoked.{ZONE}", ODOO, resolver=resolver)
    assert report.codes() == ["dkim.revoked", "dkim.not_cname"]
    assert fix_of(report, "dkim.revoked").value == ODOO_KEY + "."


def test_odoo_missing_selector_asks_for_the_cname(resolver):
    report = audit_dkim(f"odoo-nothing.{ZONE}", ODOO, resolver=resolver)
    assert report.codes() == ["dkim.missing"]
    fix = fix_of(report, "dkim.missing")
    assert (fix.name, fix.type, fix.value) == (f"odoo._domainkey.odoo-nothing.{ZONE}", "CNAME", ODOO_KEY + ".")


# Microsoft 365: two selectors, CNAMEs into the tenant.


def test_microsoft_with_both_selectors_passes(resolver):
    report = audit_dkim(f"ms-both.{ZONE}", MICROSOFT, resolver=resolver)
    assert report.status is Status.PASS
    assert report.selectors_checked == ("selector1", "selector2")
    assert report.selector == "selector1"
    assert report.cname_target.endswith(".contoso.onmicrosoft.com")


def test_microsoft_needs_both_selectors(resolver):
    report = audit_dkim(f"ms-one.{ZONE}", MICROSOFT, resolver=resolver)
    assert report.codes() == ["dkim.missing_cname"]
    assert "selector2._domainkey" in report.findings[0].message
    assert report.findings[0].record is None  # the target depends on the tenant: Microsoft shows it
    # The report still shows the selector that works.
    assert (report.selector, report.key_bits) == ("selector1", 2048)


def test_microsoft_selector_outside_microsoft_is_wrong_target(resolver):
    report = audit_dkim(f"ms-wrong.{ZONE}", MICROSOFT, resolver=resolver)
    assert report.codes() == ["dkim.wrong_target"]
    assert "selector2._domainkey" in report.findings[0].message


def test_microsoft_cname_to_a_missing_key_says_where_it_points(resolver):
    report = audit_dkim(f"ms-nokey.{ZONE}", MICROSOFT, resolver=resolver)
    assert report.codes() == ["dkim.missing_at_target"]
    assert "selector1-ms-nokey._domainkey.contoso.onmicrosoft.com" in report.findings[0].message
    assert report.selector == "selector2"


# Google Workspace: its own key as TXT.


def test_google_key_as_txt_passes(resolver):
    report = audit_dkim(f"google-key.{ZONE}", GOOGLE, resolver=resolver)
    assert report.status is Status.PASS
    assert (report.selector, report.cname_target) == ("google", None)


def test_missing_google_key_says_where_to_get_it(resolver):
    report = audit_dkim(f"google-nothing.{ZONE}", GOOGLE, resolver=resolver)
    assert report.codes() == ["dkim.missing_key"]
    assert "admin console" in report.findings[0].message
    assert fix_of(report, "dkim.missing_key").name == f"google._domainkey.google-nothing.{ZONE}"


# Selectors given by the user.


def test_best_of_several_selectors_is_shown_and_all_are_judged(resolver):
    report = own_key(resolver, "rotating", selectors=("old", "new"))
    assert report.selectors_checked == ("old", "new")
    assert (report.selector, report.key_bits) == ("new", 2048)
    assert report.codes() == ["dkim.missing_key"]
    assert "old._domainkey" in report.findings[0].message


def test_a_key_no_search_finds_is_unknown_and_no_key_at_all_fails(resolver):
    some = audit_dkim(f"probe-some.{ZONE}", OWN_SERVER, (), resolver=resolver)
    none = audit_dkim(f"probe-none.{ZONE}", OWN_SERVER, (), resolver=resolver)
    assert (some.domainkey_exists, none.domainkey_exists) == (True, False)
    # A key exists at a selector nobody named ("other"): not a pass, and the selectors asked are listed.
    assert (some.codes(), some.status) == (["dkim.selector_unknown"], Status.UNKNOWN)
    assert "default" in some.selectors_tried and "default, mail, dkim" in some.findings[0].params["tried"]
    assert (none.codes(), none.status) == (["dkim.no_key"], Status.FAIL)
    assert none.selector is None and none.selectors_checked == ()


def test_provider_without_selectors_is_probed(resolver):
    report = audit_dkim(f"probe-some.{ZONE}", OWN_SERVER, resolver=resolver)
    assert report.domainkey_exists is True


# DNS faults become problems, never exceptions.


@pytest.fixture
def proxy(zone_server):
    with FaultProxy(zone_server.address) as running:
        yield running


@pytest.mark.parametrize(
    ("fault", "code"),
    [(Fault.SERVFAIL, "dns.servfail"), (Fault.REFUSED, "dns.refused"), (Fault.DROP, "dns.timeout")],
)
def test_dns_fault_on_the_selector_is_an_error(proxy, fault, code):
    proxy.add_rule(f"mail._domainkey.faulty.{ZONE}", fault)
    resolver = Resolver([proxy.address], timeout=0.3, lifetime=0.6)
    report = audit_dkim(f"faulty.{ZONE}", OWN_SERVER, ("mail",), resolver=resolver)
    assert report.codes() == [code]
    assert report.status is Status.ERROR
    assert report.key_bits is None


def test_dns_fault_on_the_probe_leaves_the_hint_unknown(proxy):
    proxy.add_rule(f"_domainkey.faulty.{ZONE}", Fault.SERVFAIL)
    resolver = Resolver([proxy.address], timeout=0.3, lifetime=0.6)
    report = audit_dkim(f"faulty.{ZONE}", OWN_SERVER, (), resolver=resolver)
    assert report.codes() == ["dns.servfail"]
    assert report.domainkey_exists is None


def test_fault_on_one_microsoft_selector_keeps_the_other(proxy):
    proxy.add_rule(f"selector2._domainkey.ms-both.{ZONE}", Fault.SERVFAIL)
    resolver = Resolver([proxy.address], timeout=0.3, lifetime=0.6)
    report = audit_dkim(f"ms-both.{ZONE}", MICROSOFT, resolver=resolver)
    assert report.codes() == ["dns.servfail"]
    assert (report.selector, report.key_bits) == ("selector1", 2048)


# The parsers alone, no DNS.


def test_tag_list_folds_white_space_and_keeps_order():
    parsed = parse_tags(" v = DKIM1 ;\tk=rsa;\r\n p = AB CD\n EF ; n=a  note ;")
    assert parsed.tags == {"v": "DKIM1", "k": "rsa", "p": "ABCDEF", "n": "a note"}
    assert parsed.order == ("v", "k", "p", "n")
    assert parsed.errors == ()


def test_tag_list_reports_duplicates_and_garbage_without_raising():
    parsed = parse_tags("v=DKIM1; p=AB; P=x; junk; 9x=1;;")
    assert parsed.tags == {"v": "DKIM1", "p": "AB"}
    assert parsed.duplicates == ("p",)
    assert len(parsed.malformed) == 2
    assert len(parsed.errors) == 3


@pytest.mark.parametrize("text", ["", ";", "=", "==;==", "\x00\udcff", "a=b=c", "p=" * 50])
def test_tag_list_never_raises(text):
    parsed = parse_tags(text)
    assert isinstance(parsed.tags, dict)


def test_rsa_bits_from_der_of_both_key_forms():
    spki = base64.b64decode(zone_key("rsa1024"))
    assert rsa_modulus_bits(spki) == 1024
    with pytest.raises(InvalidKey):
        rsa_modulus_bits(spki[:-10])
    with pytest.raises(InvalidKey):
        rsa_modulus_bits(b"\x30\x84\xff\xff\xff\xff")


def test_key_record_without_version_defaults_to_rsa():
    key = parse_key_record("p=" + zone_key("rsa1024"))
    assert (key.key_type, key.key_bits, key.revoked) == ("rsa", 1024, False)


# CNAME chains: receivers follow them to their end (tests/zones/dkim-chain.test.zone).

CHAIN = "dkim-chain.test"


def test_chain_through_a_vendor_to_odoos_key_signs_with_a_warning(resolver):
    report = audit_dkim(f"vendor.{CHAIN}", ODOO, resolver=resolver)
    assert report.codes() == ["dkim.third_party_cname"]
    assert report.status is Status.WARN
    assert (report.key_type, report.key_bits) == ("rsa", 2048)
    (found,) = report.findings
    assert found.params == {
        "name": f"odoo._domainkey.vendor.{CHAIN}",
        "provider": "Odoo",
        "via": f"odoo._domainkey.mail-vendor.{CHAIN}",
    }
    assert found.record.value == ODOO_KEY + "."


def test_chain_through_the_domains_own_names_passes(resolver):
    report = audit_dkim(f"own-hop.{CHAIN}", ODOO, resolver=resolver)
    assert report.status is Status.PASS, report.codes()


def test_chain_through_vendors_to_the_microsoft_tenant_names_them(resolver):
    report = audit_dkim(f"ms-vendor.{CHAIN}", MICROSOFT, resolver=resolver)
    assert report.codes() == ["dkim.third_party_cname"]
    assert report.findings[0].params["via"] == f"s1.relay-a.{CHAIN}, s1.relay-b.{CHAIN}"
    # The tenant's name depends on the customer: no record to publish.
    assert report.findings[0].record is None


def test_chain_to_a_key_that_is_not_odoos_is_wrong_target(resolver):
    report = audit_dkim(f"vendor-key.{CHAIN}", ODOO, resolver=resolver)
    assert report.codes() == ["dkim.wrong_target"]
    assert report.findings[0].params["target"] == f"odoo._domainkey.key-vendor.{CHAIN}"


def test_chain_to_nothing_is_wrong_target(resolver):
    report = audit_dkim(f"vendor-dangling.{CHAIN}", ODOO, resolver=resolver)
    assert report.codes() == ["dkim.wrong_target"]


def test_whole_check_of_a_vendor_chain_lets_dmarc_pass_through_dkim(resolver):
    report = check_domain(f"vendor.{CHAIN}", resolver=resolver)
    assert report.dkim.status is Status.WARN
    assert report.dmarc.dkim_aligned is True
