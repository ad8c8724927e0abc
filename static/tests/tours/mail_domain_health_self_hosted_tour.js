import { registry } from "@web/core/registry";

const SETTING = "#mail_domain_health_setting";

// A self-hosted database with no outgoing mail server: Odoo hands its mail to this machine's mail server,
// whose public addresses nobody gave. Check now shows each part as Not checked, none of them green, says why,
// and links to the fields that would let it be checked.
registry.category("web_tour.tours").add("mail_domain_health_self_hosted", {
  url: "/odoo/settings#mail_domain_health_setting",
  steps: () => [
    { trigger: `${SETTING} button[name='action_check_mail_domain_health']`, run: "click" },
    { trigger: `${SETTING} [name='mail_domain_health_spf_status'] .badge:contains('Not checked')` },
    { trigger: `${SETTING} [name='mail_domain_health_dkim_status'] .badge:contains('Not checked')` },
    { trigger: `${SETTING} [name='mail_domain_health_dmarc_status'] .badge:contains('Not checked')` },
    { trigger: `${SETTING} [name='mail_domain_health_badges']:not(:has(.text-bg-success))` },
    { trigger: `${SETTING} [name='mail_domain_health_spf_reason']:contains('Public sending addresses')` },
    { trigger: `${SETTING} [name='mail_domain_health_sender']:contains('mail server of its own machine')` },
    { trigger: `${SETTING} a[name='mail_domain_health_dkim_missing']:visible` },
    { trigger: `${SETTING} a[name='mail_domain_health_spf_missing']:visible`, run: "click" },
    { trigger: "#mail_domain_health_dns_setting [name='mail_domain_health_own_addresses'] input:visible" },
  ],
});
