import { registry } from "@web/core/registry";

const SETTING = "#mail_domain_health_setting";

/** Hand a time measured in the browser to the test, which prints it: as a system parameter. */
async function reportTiming(name, startedAt) {
  const elapsed = Math.round(performance.now() - startedAt);
  await fetch("/web/dataset/call_kw/ir.config_parameter/set_param", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      method: "call",
      params: {
        model: "ir.config_parameter",
        method: "set_param",
        args: [`mail_domain_health.tour_${name}_ms`, String(elapsed)],
        kwargs: {},
      },
    }),
  });
}

/** Hand the test how long the browser waited on the last request to `path`, as reportTiming does. */
async function reportRequest(name, path) {
  const requests = performance.getEntriesByType("resource").filter((entry) => entry.name.includes(path));
  const last = requests[requests.length - 1];
  await reportTiming(name, performance.now() - last.duration);
}

function clickCheckNow() {
  return {
    trigger: `${SETTING} button[name='action_check_mail_domain_health']`,
    run() {
      window.mdhClickedAt = performance.now();
      window.mdhScroller = scroller(this.anchor);
      window.mdhScrolledTo = window.mdhScroller.scrollTop;
      this.anchor.click();
    },
  };
}

/** The element that scrolls the Settings page around `element`. */
function scroller(element) {
  let parent = element.parentElement;
  while (parent && !(parent.scrollHeight > parent.clientHeight && getComputedStyle(parent).overflowY !== "visible")) {
    parent = parent.parentElement;
  }
  return parent || document.scrollingElement;
}

/** A step that fails if the page scrolled away from where Check now was clicked. */
function stayedInPlace(trigger) {
  return {
    trigger,
    run() {
      const moved = Math.abs(window.mdhScroller.scrollTop - window.mdhScrolledTo);
      if (moved > 40) {
        throw new Error(`the page jumped by ${Math.round(moved)} px after Check now`);
      }
    },
  };
}

// Settings › Emails: Check now on an alias domain that lacks Odoo in SPF, DKIM and DMARC, then the reasons,
// the sender and the records, each saying whether it is added or replaces a record the domain has.
registry.category("web_tour.tours").add("mail_domain_health_settings_check", {
  url: "/odoo/settings#mail_domain_health_setting",
  steps: () => [
    clickCheckNow(),
    {
      trigger: `${SETTING} [name='mail_domain_health_spf_reason']:contains('include:_spf.odoo.com')`,
      async run() {
        await reportTiming("checked", window.mdhClickedAt);
      },
    },
    {
      trigger: `${SETTING} [name='mail_domain_health_dkim_reason']:contains('odoo._domainkey')`,
    },
    { trigger: `${SETTING} [name='mail_domain_health_dmarc_reason']:not(:empty)` },
    { trigger: `${SETTING} [name='mail_domain_health_sender']:contains('Odoo')` },
    {
      trigger: `${SETTING} [name='mail_domain_health_records_guide']:contains('Replace your current SPF record')`,
    },
    stayedInPlace(`${SETTING} [name='mail_domain_health_records_guide']:contains('Add:')`),
    {
      trigger: `${SETTING} [name='mail_domain_health_records_guide']:contains('Add:')`,
      run() {
        // The records take the block's whole width: on a wide screen they do not scroll sideways.
        const block = this.anchor.closest("[name='mail_domain_health_records']");
        const share = this.anchor.getBoundingClientRect().width / block.getBoundingClientRect().width;
        if (share < 0.95) {
          throw new Error(`the records box takes ${Math.round(share * 100)}% of the block's width`);
        }
      },
    },
  ],
});

// The DNS server asked does not answer: the screen is free again at once and says the check goes on.
registry.category("web_tour.tours").add("mail_domain_health_silent_dns", {
  url: "/odoo/settings#mail_domain_health_setting",
  steps: () => [
    clickCheckNow(),
    {
      // The answer to the click: the page is usable again, and says the check goes on in the background.
      trigger: ".o_notification:contains('goes on in the background')",
      async run() {
        await reportTiming("screen_free", window.mdhClickedAt);
      },
    },
    { trigger: `${SETTING} [name='mail_domain_health_pending']:visible` },
  ],
});

// After the background check: the fault is said once, naming the DNS server asked, with a link to the setting.
registry.category("web_tour.tours").add("mail_domain_health_silent_dns_explained", {
  url: "/odoo/settings#mail_domain_health_setting",
  steps: () => [
    {
      trigger: `${SETTING} [name='mail_domain_health_faults']:contains('did not answer')`,
    },
    { trigger: `${SETTING} a[href='#mail_domain_health_dns_setting']` },
  ],
});

// A DNS server that never answers, behind an outgoing server of one's own first in line (its host must be
// resolved to know who sends): the screen is free again within the interactive deadline, and Settings opens
// again, while the check goes on in the background, without waiting on the DNS.
registry.category("web_tour.tours").add("mail_domain_health_black_hole", {
  url: "/odoo/settings#mail_domain_health_setting",
  steps: () => [
    clickCheckNow(),
    {
      trigger: ".o_notification:contains('goes on in the background')",
      async run() {
        await reportTiming("black_hole_free", window.mdhClickedAt);
        await reportRequest("black_hole_request", "action_check_mail_domain_health");
      },
    },
    { trigger: `${SETTING} [name='mail_domain_health_pending']:visible` },
    {
      trigger: `${SETTING} button:contains('All checked domains')`,
      run: "click",
    },
    {
      trigger: ".o_list_view .o_data_row",
    },
    {
      trigger: ".o_breadcrumb .breadcrumb-item a",
      run() {
        window.mdhReopenedAt = performance.now();
        this.anchor.click();
      },
    },
    {
      trigger: `${SETTING} [name='mail_domain_health_pending']:visible`,
      async run() {
        await reportTiming("settings_reopened", window.mdhReopenedAt);
      },
    },
  ],
});

// A DNS server that refuses every question: Check now answers at once, and the fault is said once, whole.
registry.category("web_tour.tours").add("mail_domain_health_refusing_dns", {
  url: "/odoo/settings#mail_domain_health_setting",
  steps: () => [
    clickCheckNow(),
    {
      trigger: ".o_notification:contains('Checked')",
      async run() {
        await reportTiming("refused", window.mdhClickedAt);
      },
    },
    { trigger: `${SETTING} [name='mail_domain_health_faults']:contains('refused')` },
    {
      trigger: `${SETTING} a[href='#mail_domain_health_dns_setting']`,
      run: "click",
    },
    { trigger: "#mail_domain_health_dns_setting [name='mail_domain_health_nameservers']" },
  ],
});

/** Click `trigger`, then wait for `arrived` (what the click opens). */
function clickTo(trigger, arrived) {
  return [{ trigger, run: "click" }, { trigger: arrived }];
}

const USERS_MENU =
  ".o_main_navbar button:contains('Users & Companies'), .o_main_navbar a:contains('Users & Companies')";

/** Back to the screen named `crumb` by its breadcrumb, then wait for `arrived`. */
function back(crumb, arrived) {
  return clickTo(`.o_breadcrumb a:contains('${crumb}')`, arrived);
}

// Every button and link the addon adds to Settings, the Mail Domains list and form, clicked as an
// administrator would, each landing where it should. (Check now in Settings, the DNS servers link and the
// contact's Fix relayed mail are clicked by the tours above and below; the company form's Check now by
// mail_domain_health_company_check.)
registry.category("web_tour.tours").add("mail_domain_health_every_button", {
  url: "/odoo/settings#mail_domain_health_setting",
  steps: () => [
    // The settings are read and shown before any button is pressed.
    { trigger: `${SETTING} [name='mail_domain_health_dmarc_seen']:visible` },
    ...clickTo(
      `${SETTING} button[name='action_open_dmarc_reports']`,
      ".o_graph_view, .o_pivot_view, .o_list_view",
    ),
    ...back("Settings", "button[name='action_open_mail_domain_health_relay_contacts']"),
    ...clickTo(
      `button[name='action_open_mail_domain_health_relay_contacts']`,
      ".o_list_view .o_data_row:contains('Jane Doe')",
    ),
    ...back("Settings", "button[name='action_open_mail_domain_health_relay_fix']"),
    ...clickTo(
      "button[name='action_open_mail_domain_health_relay_fix']",
      ".modal [name='fix']",
    ),
    ...clickTo(".modal footer button:contains('Cancel')", "body:not(:has(.modal))"),
    // The menus, the last one to the list whose header button is clicked with no row selected.
    ...clickTo(USERS_MENU, "[data-menu-xmlid='mail_domain_health.mail_dmarc_report_menu']"),
    ...clickTo(
      "[data-menu-xmlid='mail_domain_health.mail_dmarc_report_menu']",
      ".o_list_view .o_data_row:contains('google.com')",
    ),
    ...clickTo(USERS_MENU, "[data-menu-xmlid='mail_domain_health.mail_dmarc_report_row_menu']"),
    ...clickTo(
      "[data-menu-xmlid='mail_domain_health.mail_dmarc_report_row_menu']",
      ".o_graph_view, .o_pivot_view",
    ),
    ...clickTo(USERS_MENU, "[data-menu-xmlid='mail_domain_health.mail_domain_check_menu']"),
    ...clickTo(
      "[data-menu-xmlid='mail_domain_health.mail_domain_check_menu']",
      ".o_list_view .o_data_row:contains('yahoo.com')",
    ),
    ...clickTo(
      "button[name='action_check_all_now']",
      ".o_notification:contains('Every domain is being checked again')",
    ),
    ...clickTo(".o_data_row td:contains('yahoo.com')", ".o_form_view [name='free_mail_notice']"),
    ...clickTo(
      ".o_form_view button[name='action_open_users']",
      ".o_list_view .o_data_row:contains('Jane User')",
    ),
    ...back("yahoo.com", ".o_form_view button[name='action_open_relay_contacts']"),
    ...clickTo(
      ".o_form_view button[name='action_open_relay_contacts']",
      ".o_list_view .o_data_row:contains('Jane Doe')",
    ),
    ...back("yahoo.com", ".o_form_view a[name='dmarc_reports']"),
    ...clickTo(".o_form_view a[name='dmarc_reports']", ".o_form_view button[name='action_open_dmarc_rows']"),
    ...clickTo(
      ".o_form_view button[name='action_open_dmarc_rows']",
      ".o_graph_view, .o_pivot_view, .o_list_view",
    ),
    ...back("yahoo.com", ".o_form_view button[name='action_check_now']"),
    ...clickTo(
      ".o_form_view button[name='action_check_now']",
      ".o_notification:contains('Checked')",
    ),
    // Last: the fix dialog of the domain's contacts, applied (the followers handle notifications in Odoo).
    ...clickTo(".o_form_view button[name='action_open_relay_fix']", ".modal [name='fix']"),
    ...clickTo(".modal [name='fix'] input[data-value='inbox']", ".modal button[name='action_apply']"),
    ...clickTo(".modal button[name='action_apply']", "body:not(:has(.modal))"),
  ],
});

// The company form's Check now, beside the alias domain.
registry.category("web_tour.tours").add("mail_domain_health_company_check", {
  steps: () => [
    ...clickTo(
      ".o_form_view button[name='action_check_mail_domain_health']",
      ".o_notification:contains('Checked')",
    ),
  ],
});

/** What the scheduler does when the background check is triggered, done at once (tests run no scheduler). */
async function runBackgroundCheck() {
  const call = async (model, method, args) => {
    const response = await fetch(`/web/dataset/call_kw/${model}/${method}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        method: "call",
        params: { model, method, args, kwargs: {} },
      }),
    });
    return (await response.json()).result;
  };
  const cronId = await call("ir.config_parameter", "get_param", [
    "mail_domain_health.tour_pending_cron",
  ]);
  await call("ir.cron", "method_direct_trigger", [[parseInt(cronId)]]);
}

// The outgoing mail server changes host: saved, and the Settings block no longer stands by the old sender.
registry.category("web_tour.tours").add("mail_domain_health_server_changed", {
  steps: () => [
    {
      trigger: ".o_form_view .o_field_widget[name='smtp_host'] input",
      run: "edit smtp.office365.com",
    },
    { trigger: ".o_form_button_save", run: "click" },
    { trigger: ".o_form_saved" },
  ],
});

// Settings after that change: the old result says it predates it while the check goes on, and the block
// updates itself, without a reload, when the background check is done. Then the sending provider is chosen in
// the same screen and saved: the same again.
registry.category("web_tour.tours").add("mail_domain_health_block_follows_changes", {
  url: "/odoo/settings#mail_domain_health_setting",
  steps: () => [
    {
      trigger: `${SETTING} [name='mail_domain_health_outdated']:contains('outgoing mail servers')`,
    },
    { trigger: `${SETTING} [name='mail_domain_health_sender']:contains('Google Workspace')` },
    { trigger: `${SETTING} [name='mail_domain_health_pending']:visible` },
    {
      trigger: `${SETTING} [name='mail_domain_health_pending']:visible`,
      async run() {
        await runBackgroundCheck();
      },
    },
    { trigger: `${SETTING} [name='mail_domain_health_sender']:contains('Microsoft 365')` },
    { trigger: `${SETTING}:not(:has([name='mail_domain_health_pending']:visible))` },
    { trigger: `${SETTING}:not(:has([name='mail_domain_health_outdated']:visible))` },
    {
      trigger: ".o_field_widget[name='mail_domain_health_provider'] input",
      run: "click",
    },
    {
      trigger: ".o_select_menu_item:contains('Google Workspace')",
      run: "click",
    },
    // Settings reload the page once saved.
    { trigger: ".o_form_button_save", run: "click", expectUnloadPage: true },
    { trigger: `${SETTING} [name='mail_domain_health_pending']:visible` },
    {
      trigger: `${SETTING} [name='mail_domain_health_pending']:visible`,
      async run() {
        await runBackgroundCheck();
      },
    },
    {
      trigger: `${SETTING} [name='mail_domain_health_sender']:contains('chosen in the settings: Google Workspace')`,
    },
  ],
});

// A new user on yahoo.com: warned while typing, before saving.
registry.category("web_tour.tours").add("mail_domain_health_user_yahoo", {
  url: "/odoo/action-base.action_res_users/new",
  steps: () => [
    {
      trigger:
        ".o_field_widget[name='name'] input, .o_field_widget[name='name'] textarea",
      run: "edit Jane Yahoo",
    },
    {
      trigger: ".o_field_widget[name='login'] input",
      async run(helpers) {
        window.mdhTypedAt = performance.now();
        await helpers.edit("jane.tour@yahoo.com");
        await helpers.press("Tab");
      },
    },
    {
      trigger: ".o_notification:contains('yahoo.com is a public email service')",
      async run() {
        await reportTiming("user_warning", window.mdhTypedAt);
      },
    },
    { trigger: ".o_form_button_save", run: "click" },
    { trigger: ".o_form_saved" },
  ],
});

// A new user on the company's own domain, which passes: no warning at all.
registry.category("web_tour.tours").add("mail_domain_health_user_company", {
  url: "/odoo/action-base.action_res_users/new",
  steps: () => [
    {
      trigger:
        ".o_field_widget[name='name'] input, .o_field_widget[name='name'] textarea",
      run: "edit Kim Strict",
    },
    {
      trigger: ".o_field_widget[name='login'] input",
      run: "edit kim.tour@strict.check.test && press Tab",
    },
    { trigger: ".o_form_button_save", run: "click" },
    { trigger: ".o_form_saved" },
    { trigger: "body:not(:has(.o_notification:contains('cannot')))" },
    { trigger: "body:not(:has([name='mail_domain_health_banner']:visible))" },
  ],
});

/** Ask the test for a screenshot of the page as it is (see tests/test_tours.py), once `trigger` shows. */
function screenshot(name, trigger) {
  return {
    trigger,
    async run() {
      this.anchor.scrollIntoView({ block: "center" });
      await new Promise((resolve) => setTimeout(resolve, 500));
      console.log(`mdh-screenshot ${name}`);
      // The browser takes it while the page stays as it is.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    },
  };
}

registry.category("web_tour.tours").add("mail_domain_health_screenshot_settings", {
  steps: () => [
    screenshot(
      "settings-emails",
      `${SETTING} [name='mail_domain_health_spf_reason']:contains('include')`,
    ),
  ],
});

registry.category("web_tour.tours").add("mail_domain_health_screenshot_free_mail", {
  steps: () => [
    screenshot("free-mail-domain", ".o_form_view [name='free_mail_notice']:visible"),
  ],
});

registry.category("web_tour.tours").add("mail_domain_health_screenshot_user", {
  steps: () => [
    screenshot(
      "user-warning",
      ".o_form_view [name='mail_domain_health_banner']:visible",
    ),
  ],
});

// A contact whose relayed mail is refused: the banner, then the fix dialog with "send as the notifications
// address" chosen, showing what would change.
registry.category("web_tour.tours").add("mail_domain_health_screenshot_contact", {
  steps: () => [
    screenshot("contact-banner", ".o_form_view [name='mail_domain_health_relay_banner']:visible"),
    {
      trigger: ".o_form_view button[name='action_open_mail_domain_health_relay_fix']",
      run: "click",
    },
    {
      trigger: ".modal [name='fix'] input[data-value='from_filter']",
      run: "click",
    },
    screenshot("contact-fix", ".modal [name='from_filter_plan'] table:visible"),
    // Nothing is applied: the dialog is left by Cancel.
    { trigger: ".modal footer button:contains('Cancel')", run: "click" },
    { trigger: "body:not(:has(.modal))" },
  ],
});

// The same block for a French administrator: labels and findings in French, no English sentence left.
registry.category("web_tour.tours").add("mail_domain_health_french", {
  steps: () => [
    {
      trigger: `${SETTING} [name='mail_domain_health_spf_reason']:contains("n'autorise pas Odoo")`,
    },
    {
      trigger: `${SETTING} [name='mail_domain_health_records_guide']:contains('Remplacez votre enregistrement SPF')`,
    },
    {
      trigger: `${SETTING} button[name='action_check_mail_domain_health']:contains('Vérifier maintenant')`,
    },
    {
      trigger: `${SETTING}:not(:contains('does not')):not(:contains('publish')):not(:contains('Check now')):not(:contains('Records to'))`,
    },
  ],
});

// English words a French screen must not hold. Names, addresses, records and dates are not sentences: words
// with a dot, an at sign, a colon, an equals sign, a slash, an underscore or a digit are left out, and so is
// anything between double quotes.
const ENGLISH = new Set(
  (
    "the and with your is are not this that these those did does was were will would be been of to for from " +
    "in at by has have its it or cannot can shown show results result records record checked check answer " +
    "answered server servers sent sends send mail domain domains address addresses user users please"
  ).split(" "),
);

function englishWords(text) {
  return text
    .replace(/"[^"]*"/g, " ")
    .split(/\s+/)
    .map((word) => word.replace(/^[(«"'’]+|[).,;:!?»"'’]+$/g, ""))
    .filter((word) => word && !/[.@:=/_0-9]/.test(word))
    .filter((word) => ENGLISH.has(word.toLowerCase()));
}

/** A step that reads `trigger` once it shows and fails, naming them, on any English words in it. */
function readsFrench(name, trigger) {
  return {
    trigger,
    run() {
      const text = this.anchor.innerText;
      const found = englishWords(text);
      if (found.length) {
        throw new Error(`English in ${name}: ${found.join(", ")}\n${text}`);
      }
    },
  };
}

// A French administrator's screens, fault text included: no English sentence. The tour is started on each
// screen in turn (see tests/test_tours.py): it reads what that screen shows of the addon.
registry.category("web_tour.tours").add("mail_domain_health_french_screens", {
  steps: () => [
    {
      trigger: `${SETTING} [name='mail_domain_health_faults']:visible, .o_form_view [name='stale_warning']:visible, .o_form_view [name='mail_domain_health_banner']:visible, .o_form_view [name='mail_domain_health_relay_banner']:visible`,
    },
    readsFrench(
      "the screen",
      `${SETTING}, .o_form_view .o_form_sheet:has([name='stale_warning']), .o_form_view [name='mail_domain_health_banner'], .o_form_view [name='mail_domain_health_relay_banner']`,
    ),
  ],
});
