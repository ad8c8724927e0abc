"""tools/check_settings.py: the run's settings read from the system parameters, bad values left out with a reason."""

import json
import math

import pytest

from odoo.addons.mail_domain_health.maildns import DEFAULT_DOMAIN_TIMEOUT
from odoo.addons.mail_domain_health.tools.check_settings import (
    DEFAULT_KEEP_UNUSED_DAYS,
    MAX_TIMEOUT,
    CheckSettings,
    Sender,
    is_dkim_selector,
    is_nameserver_address,
    is_on,
    is_private_suffix,
    is_timeout,
    read_check_settings,
)


def test_no_parameters_give_the_defaults_and_no_reason():
    settings, reasons = read_check_settings({})
    assert reasons == []
    assert settings == CheckSettings(
        provider="auto",
        own_addresses=(),
        dkim_selectors=None,
        nameservers=(),
        timeout=DEFAULT_DOMAIN_TIMEOUT,
        check_partners=False,
        use_queue_job=False,
        private_suffixes=(),
        keep_unused_days=DEFAULT_KEEP_UNUSED_DAYS,
    )
    assert settings.sender is None and settings.version == 0


def test_good_values_are_read_as_the_engine_takes_them():
    settings, reasons = read_check_settings(
        {
            "provider": " google ",
            "own_addresses": "192.0.2.10, 2001:db8::25",
            "dkim_selector": "S1 2024.mail",
            "nameservers": "192.0.2.53:5353,[2001:db8::53]:53",
            "timeout": "7.5",
            "check_partners": "True",
            "use_queue_job": "1",
            "private_suffixes": "Corp intranet.example.com",
            "keep_unused_days": "90",
        }
    )
    assert reasons == []
    assert settings.provider == "google"
    assert settings.own_addresses == ("192.0.2.10", "2001:db8::25")
    assert settings.dkim_selectors == ("s1", "2024.mail")
    assert settings.nameservers == ("192.0.2.53:5353", "[2001:db8::53]:53")
    assert settings.timeout == 7.5
    assert settings.check_partners is True
    assert settings.use_queue_job is True
    assert settings.private_suffixes == ("corp", "intranet.example.com")
    assert settings.keep_unused_days == 90


def test_bad_values_are_left_out_each_with_its_reason_and_good_ones_kept():
    settings, reasons = read_check_settings(
        {
            "own_addresses": "192.0.2.10 mail.example.com",
            "dkim_selector": "s1 bad_selector",
            "nameservers": "dns.example.com 192.0.2.53",
            "timeout": "nan",
            "private_suffixes": "corp exa..mple",
            "keep_unused_days": "0",
        }
    )
    assert settings.own_addresses == ("192.0.2.10",)
    assert settings.dkim_selectors == ("s1",)
    assert settings.nameservers == ("192.0.2.53",)
    assert settings.timeout == DEFAULT_DOMAIN_TIMEOUT
    assert settings.private_suffixes == ("corp",)
    assert settings.keep_unused_days == DEFAULT_KEEP_UNUSED_DAYS
    assert [reason.split(" left out")[0] for reason in reasons] == [
        "sending address 'mail.example.com'",
        "private suffix 'exa..mple'",
        "days to keep unused checks '0'",
        "DNS server 'dns.example.com'",
        "DKIM selector 'bad_selector'",
        "timeout 'nan'",
    ]


@pytest.mark.parametrize("raw", ["0", "-1", str(MAX_TIMEOUT + 1), "inf", "soon"])
def test_a_timeout_out_of_bounds_falls_back_to_the_default(raw):
    settings, reasons = read_check_settings({"timeout": raw})
    assert settings.timeout == DEFAULT_DOMAIN_TIMEOUT
    assert len(reasons) == 1 and reasons[0].startswith(f"timeout {raw!r} left out")


@pytest.mark.parametrize("raw", ["3651", "ten", "1.5"])
def test_days_to_keep_out_of_bounds_fall_back_to_the_default(raw):
    settings, reasons = read_check_settings({"keep_unused_days": raw})
    assert settings.keep_unused_days == DEFAULT_KEEP_UNUSED_DAYS
    assert len(reasons) == 1


def test_validators():
    assert is_nameserver_address("192.0.2.53")
    assert is_nameserver_address("[2001:db8::53]:53")
    assert not is_nameserver_address("dns.example.com")
    assert is_dkim_selector("2024.mail")
    assert not is_dkim_selector("-s1")
    assert is_timeout(MAX_TIMEOUT) and not is_timeout(0) and not is_timeout(math.inf)
    assert is_private_suffix("corp")
    assert not is_private_suffix("exa..mple")


@pytest.mark.parametrize(("value", "on"), [("1", True), (" Yes ", True), ("on", True), ("0", False), (False, False)])
def test_is_on_reads_a_yes_no_parameter(value, on):
    assert is_on(value) is on


def test_public_names_are_the_a_labels_of_public_dns_names_each_once():
    settings, _ = read_check_settings({"private_suffixes": "corp"})
    names = ["Bäckerei-Müller.example", "mail.corp", "localhost", None, "", "shop.example", "SHOP.example"]
    assert settings.public_names(names) == ["shop.example", "xn--bckerei-mller-bfb28a.example"]


def test_settings_go_through_a_queued_jobs_json_and_come_back_the_same():
    settings, _ = read_check_settings({"provider": "google", "nameservers": "192.0.2.53", "dkim_selector": "s1"})
    settings = CheckSettings(
        **{
            **settings.__dict__,
            "version": 4,
            "sender": Sender("google", "google", {"code": "sender.chosen", "params": {}}, timed_out=False),
            "dmarc_rua": {"shop.example": "dmarc-reports@shop.example"},
            "reported_selectors": {"shop.example": ("s1", "s2")},
            "dkim_search_domains": ("shop.example",),
        }
    )
    data = settings.to_json()
    assert json.loads(json.dumps(data)) == data
    assert CheckSettings.from_json(data) == settings


@pytest.mark.parametrize("data", [{}, {"provider": "odoo"}, {"timeout": 3.0, "provider_spec": "odoo"}])
def test_settings_queued_by_an_older_version_are_not_taken_for_these(data):
    assert CheckSettings.from_json(data) is None
