// Screenshots of the addon's screens for the README, taken from a running Odoo.
//
// It only drives a browser: the server, its database (with mail_domain_health installed, a company alias
// domain already checked, Receive DMARC reports on and reports of the last weeks received and attributed) and
// the user shown are prepared beforehand.
//
//   cd /some/tools/dir && npm install playwright-core
//   node /path/to/repo/scripts/screenshots.mjs --url http://127.0.0.1:8069 --db screens --login admin --password admin \
//        --user-id 7 [--chromium /usr/bin/chromium] [--out docs/screenshots]
//
// Writes <out>/settings-emails.png (Settings › Emails, the domain health block),
// <out>/user-warning.png (the user form with its warning banner), <out>/settings-dmarc.png (the DMARC reports
// line of the block) and <out>/dmarc-graph.png (what receivers saw, messages a day).

import { mkdirSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

// playwright-core is looked up from the current directory, so it need not be installed in the repository.
const { chromium } = createRequire(join(process.cwd(), "noop.js"))("playwright-core");

const { values: options } = parseArgs({
    options: {
        url: { type: "string", default: "http://127.0.0.1:8069" },
        db: { type: "string" },
        login: { type: "string", default: "admin" },
        password: { type: "string", default: "admin" },
        "user-id": { type: "string" },
        chromium: { type: "string", default: "/usr/bin/chromium" },
        out: { type: "string", default: resolve(import.meta.dirname, "..", "docs", "screenshots") },
    },
});
if (!options.db || !options["user-id"]) {
    console.error("usage: node scripts/screenshots.mjs --db DB --user-id ID [--url URL] [--login L] [--password P]");
    process.exit(64);
}

// Flags that keep a headless browser from calling home; the profile is a new empty directory.
const CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/** The smallest rectangle holding every element matched, with a margin, within the page. */
async function unionBox(page, selectors, margin) {
    const boxes = [];
    for (const selector of selectors) {
        const box = await page.locator(selector).first().boundingBox();
        if (!box) {
            throw new Error(`nothing to capture: ${selector} is not on the page`);
        }
        boxes.push(box);
    }
    const left = Math.max(0, Math.min(...boxes.map((box) => box.x)) - margin);
    const top = Math.max(0, Math.min(...boxes.map((box) => box.y)) - margin);
    const right = Math.max(...boxes.map((box) => box.x + box.width)) + margin;
    const bottom = Math.max(...boxes.map((box) => box.y + box.height)) + margin;
    return { x: left, y: top, width: right - left, height: bottom - top };
}

async function logIn(page) {
    await page.goto(`${options.url}/web/login?db=${encodeURIComponent(options.db)}`);
    await page.fill("input[name=login]", options.login);
    await page.fill("input[name=password]", options.password);
    await Promise.all([page.waitForURL(/\/(odoo|web)(\/|\?|#|$)/), page.click("button[type=submit]")]);
    await page.waitForSelector(".o_main_navbar");
}

async function settingsEmails(page) {
    await page.goto(`${options.url}/odoo/settings#general_settings`);
    const block = page.locator("#mail_domain_health_setting");
    await block.waitFor();
    await block.scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    const clip = await unionBox(page, ["#email-alias-setting", "#mail_domain_health_setting", "#mail_domain_health_dns_setting"], 12);
    await page.screenshot({ path: join(options.out, "settings-emails.png"), clip });
}

async function settingsDmarc(page) {
    await page.goto(`${options.url}/odoo/settings#general_settings`);
    const line = page.locator("div[name=mail_domain_health_receivers]");
    await line.waitFor();
    await line.scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    const clip = await unionBox(page, ["div[name=mail_domain_health_badges]", "div[name=mail_domain_health_receivers]"], 12);
    await page.screenshot({ path: join(options.out, "settings-dmarc.png"), clip });
}

async function dmarcGraph(page) {
    await page.goto(`${options.url}/odoo/action-mail_domain_health.mail_dmarc_report_row_action`);
    await page.locator(".o_graph_renderer canvas").waitFor();
    // The chart draws itself in an animation.
    await page.waitForTimeout(1500);
    const clip = await unionBox(page, [".o_control_panel", ".o_graph_renderer"], 0);
    await page.screenshot({ path: join(options.out, "dmarc-graph.png"), clip });
}

async function userWarning(page) {
    await page.goto(`${options.url}/odoo/action-base.action_res_users/${options["user-id"]}`);
    const banner = page.locator(".o_form_view div[name=mail_domain_health_banner]");
    await banner.waitFor();
    await page.waitForTimeout(500);
    const clip = await unionBox(page, [".o_form_view div[name=mail_domain_health_banner]", ".o_form_view div[name=image_1920]"], 16);
    await page.screenshot({ path: join(options.out, "user-warning.png"), clip });
}

mkdirSync(options.out, { recursive: true });
const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "screens-")), {
    executablePath: options.chromium,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1000 },
    deviceScaleFactor: 1,
});
try {
    const page = context.pages()[0] || (await context.newPage());
    await logIn(page);
    await settingsEmails(page);
    await userWarning(page);
    await settingsDmarc(page);
    await dmarcGraph(page);
} finally {
    await context.close();
}
