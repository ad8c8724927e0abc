import { registry } from "@web/core/registry";

const PANEL_TAB = ".o_notebook .nav-link:contains('Bulk-sender rules')";

// A mailing from a domain with SPF but no DKIM: Send, Odoo's own "Ready to unleash emails?", then the
// confirmation of the bulk-sender rules says what Gmail, Yahoo and Outlook.com will do, and why; sent anyway.
registry.category("web_tour.tours").add("mail_domain_health_mass_mailing_send", {
  steps: () => [
    { trigger: ".o_form_view button[name='action_launch']", run: "click" },
    { trigger: ".modal footer button:contains('Send to all')", run: "click" },
    {
      trigger:
        ".modal .o_mail_domain_health_bulk_consequences:contains('Gmail rejects this mail or puts it in spam')",
    },
    {
      trigger:
        ".modal .o_mail_domain_health_bulk_consequences:contains('DKIM signature passes'):contains('Outlook.com puts this mail in Junk')",
    },
    { trigger: ".modal footer button:contains('Send anyway')", run: "click" },
    { trigger: "body:not(:has(.modal))" },
    { trigger: ".o_form_view:not(:has(button[name='action_launch']))" },
  ],
});

/** Ask the test for a screenshot of the page as it is (see tests/test_tours.py), once `trigger` shows. */
function screenshot(name, trigger) {
  return {
    trigger,
    async run() {
      this.anchor.scrollIntoView({ block: "start" });
      await new Promise((resolve) => setTimeout(resolve, 500));
      console.log(`mdh-screenshot ${name}`);
      // The browser takes it while the page stays as it is.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    },
  };
}

// The panel of the mailing form, for the README.
registry.category("web_tour.tours").add("mail_domain_health_mass_mailing_panel", {
  steps: () => [
    { trigger: PANEL_TAB, run: "click" },
    { trigger: ".o_mail_domain_health_bulk_panel table.o_mail_domain_health_bulk_rules:visible" },
    screenshot("mailing-bulk-rules", ".o_form_view .o_notebook:visible"),
  ],
});
