"""tools/relay.py: the domains an outgoing set-up names (which relayed mail fails is the engine's, test_address)."""

from odoo.addons.mail_domain_health.tools.relay import from_filter_value, named_domains


def test_named_domains_reads_domains_and_addresses_of_the_from_filters_and_the_notifications_address():
    names = named_domains(
        ["Example.COM, news@Shop.Example", False, "bäckerei-müller.check.test", " , not a domain"],
        "notifications@Odoo.Example",
    )
    assert names == {"example.com", "shop.example", "xn--bckerei-mller-bfb28a.check.test", "odoo.example"}


def test_named_domains_without_filters_or_notifications_address_is_empty():
    assert named_domains([], None) == set()
    assert named_domains([False, ""]) == set()


def test_from_filter_value_names_each_domain_once_in_a_stable_order():
    assert from_filter_value(["b.example", "A.example", "a.example", None, ""]) == "a.example,b.example"
    assert from_filter_value([]) == ""
