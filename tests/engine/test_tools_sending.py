"""tools/sending.py: the preview of how Odoo sends a message from an author."""

import dataclasses

import pytest

from odoo.addons.mail_domain_health.tools.sending import SendingChange, SendingPreview


def _preview(author, email_from):
    return SendingPreview(author, 1, "relay", email_from, email_from)


def test_sent_as_the_author_is_not_rewritten():
    assert not _preview("jane@example.com", '"Jane" <jane@Example.com>').rewritten


def test_sent_as_the_notifications_address_is_rewritten():
    assert _preview("jane@yahoo.com", "notifications@example.com").rewritten


def test_another_address_of_the_same_domain_is_not_rewritten():
    assert not _preview("jane@example.com", "notifications@example.com").rewritten


def test_an_internationalized_domain_in_either_form_is_the_same_domain():
    assert not _preview("info@bäckerei-müller.check.test", "info@xn--bckerei-mller-bfb28a.check.test").rewritten


def test_without_a_from_nothing_is_rewritten():
    assert not _preview("jane@example.com", "").rewritten


def test_previews_and_changes_are_frozen():
    change = SendingChange(server_id=None, from_filter="example.com")
    assert change.alias_domain_id is None and change.default_from is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.from_filter = "other.example"
