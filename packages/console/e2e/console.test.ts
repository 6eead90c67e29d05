// The console end to end (issue 9 §3): Debian's Chromium driven by playwright-core against a real
// server with a real store in this process, doing what a person would click through. Elements are
// found by role and label only. Each main screen is checked with axe-core (no serious or critical
// violation) and saved as a screenshot under test-results/console/ for a reviewer to look at.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import AxeBuilder from "@axe-core/playwright";
import Database from "better-sqlite3";
import { AuditService, PangeaConfig, PangeaErrors } from "pangea-node-sdk";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { startTestServer, type TestServer } from "../../server/test/support/test-server.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = fileURLToPath(new URL("../../../test-results/console/", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/index.html", import.meta.url));

/**
 * How many elements `locator` matches once at least `n` do: `count()` itself does not wait, and
 * what the page renders after an answer (a record's lock, once the browser has checked it) may
 * not be there yet when the answer's own text is.
 */
async function countOnceThere(locator: Locator, n: number): Promise<number> {
  await locator.nth(n - 1).waitFor();
  return locator.count();
}

interface TokenView {
  id: string;
  name: string;
  grants: { audit?: { configs: string[] | "all" } };
}

// CI installs Chromium (.ci/run), so there a missing browser fails instead of skipping.
describe("the console in a browser", {
  skip: existsSync(CHROMIUM) || process.env["CI"] ? false : `${CHROMIUM} is not installed`,
}, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  let shot = 0;

  before(async () => {
    assert.ok(existsSync(DIST), "the console is built first (npm run build:console)");
    // The tampering step below edits the SQLite file directly.
    server = await startTestServer({}, {});
    assert.equal(server.service.store.backend, "sqlite");
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Saves a screenshot and fails on any serious or critical axe-core violation of the screen. */
  async function screen(name: string): Promise<void> {
    shot += 1;
    await page.screenshot({
      path: join(SHOTS, `${String(shot).padStart(2, "0")}-${name}.png`),
      fullPage: true,
    });
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(
      bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.html).join(", ")})`),
      [],
      `axe on ${name}`,
    );
  }

  async function admin<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${server.adminToken}` },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { status: string; result: T };
    assert.equal(answer.status, "Success", JSON.stringify(answer));
    return answer.result;
  }

  async function signIn(secret: string): Promise<void> {
    await page.goto(`${server.url}/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("Admin credential or audit token").fill(secret);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  async function signOut(): Promise<void> {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  }

  let billingId = "";
  let readerSecret = "";

  it("signs in with the admin credential and shows the layout and Overview", async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.match(page.url(), /\/console\/sign-in$/);
    await screen("sign-in");
    await signIn(server.adminToken);
    await page.getByRole("heading", { name: "Default audit log" }).waitFor();
    assert.match(page.url(), new RegExp(`/console/c/${server.configId}/overview$`));
    await page.getByText(server.configId, { exact: true }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === "veritrail_session");
    assert.ok(cookie?.httpOnly);
    assert.equal(cookie?.sameSite, "Strict");
    // Nothing of the credential is kept in browser storage.
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    assert.ok(!stored.includes(server.adminToken));
    await screen("overview");
  });

  it("creates a configuration with a custom schema and extends an existing token to it", async () => {
    const audit = (await admin<{ items: TokenView[] }>("/v1/admin/token/list", {})).items.find(
      (t) => t.name === "Initial audit token",
    );
    assert.ok(audit);
    await page.getByRole("button", { name: /^Configuration/ }).click();
    await page.getByRole("menuitem", { name: "+ Create New" }).click();
    const dialog = page.getByRole("dialog", { name: "Create a configuration" });
    await dialog.getByLabel("Name", { exact: true }).fill("Billing");
    await dialog.getByRole("radio", { name: "Custom fields" }).check();
    // Validation as you type: a bad id is named at once, and Next waits for it.
    await dialog.getByLabel("Field 2 id").fill("Actor-Name");
    await dialog.getByText("lower-case snake case, starting with a letter").waitFor();
    assert.ok(await dialog.getByRole("button", { name: "Next" }).isDisabled());
    await dialog.getByLabel("Field 2 id").fill("actor");
    for (const [id, type, visible] of [
      ["tenant_id", "string", true],
      ["old", "text", false],
      ["new", "text", false],
    ] as const) {
      await dialog.getByRole("button", { name: "Add field" }).click();
      const n = await dialog.getByLabel(/^Field \d+ id$/).count();
      await dialog.getByLabel(`Field ${n} id`).fill(id);
      await dialog.getByLabel(`Field ${n} type`).selectOption(type);
      if (visible) await dialog.getByLabel(`Field ${n} visible by default`).check();
    }
    await screen("create-config-schema");
    await dialog.getByRole("button", { name: "Next" }).click();
    await dialog.getByLabel("Hot storage (searchable for)").fill("7d");
    await dialog.getByRole("button", { name: "Next" }).click();
    await dialog.getByRole("radio", { name: "Extend an existing token" }).check();
    await dialog.getByLabel("Token to extend").selectOption(audit.id);
    await screen("create-config-access");
    await dialog.getByRole("button", { name: "Create configuration" }).click();
    await dialog.getByText("Configuration Billing was created.").waitFor();
    billingId = (await dialog.locator("code").first().textContent()) ?? "";
    assert.match(billingId, /^pci_[a-z2-7]{32}$/);
    await dialog.getByText(/now also reaches this configuration/).waitFor();
    await screen("create-config-done");
    await dialog.getByRole("button", { name: "Open the configuration" }).click();
    await page.getByRole("heading", { name: "Billing" }).waitFor();

    const schema = await admin<{ schema: { fields: { id: string }[] } }>("/v1beta/config", { id: billingId });
    assert.deepEqual(
      schema.schema.fields.map((f) => f.id),
      ["message", "actor", "tenant_id", "old", "new"],
    );
  });

  it("the extended token gets AmbiguousConfigID from the official SDK without config_id, and succeeds with it", async () => {
    const pangea = new PangeaConfig({ baseUrlTemplate: server.url });
    const ambiguous = new AuditService(server.auditToken, pangea);
    await assert.rejects(ambiguous.log({ message: "which log?" }), (error: unknown) => {
      assert.ok(error instanceof PangeaErrors.APIError);
      assert.equal(error.pangeaResponse.status, "AmbiguousConfigID");
      return true;
    });
    const billing = new AuditService(server.auditToken, pangea, undefined, billingId);
    for (let i = 0; i < 5; i++) {
      const answer = await billing.log(
        { message: `globex invoice ${i}`, actor: "bob", tenant_id: "globex" },
        { verify: true },
      );
      assert.equal(answer.result.membership_verification, "pass");
    }
    // Billing's first five events are published as a signed checkpoint; later ones stay unpublished.
    const published = await server.service.publishing.publisher.publishNow();
    assert.ok(published.some((c) => c.size === 5));
  });

  it("creates a token whose gear dialogs allow only v1/log and v1/search on Billing for tenant acme", async () => {
    await page.getByRole("link", { name: "Tokens", exact: true }).click();
    await page.getByRole("button", { name: "Create Token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create Token" });
    await dialog.getByLabel("Token name").fill("acme reader");
    const gear = async (item: string) => {
      await dialog.getByRole("button", { name: "Secure Audit Log access settings" }).click();
      await page.getByRole("menuitem", { name: item }).click();
      return page.getByRole("dialog", { name: item });
    };
    const endpoints = await gear("Manage Endpoint Access");
    await endpoints.getByRole("checkbox", { name: "All endpoints, including later ones" }).uncheck();
    for (const name of [
      "v2/log",
      "v2/log_async",
      "v1/root",
      "v1/results",
      "v1/export",
      "v1/download_results",
      "v1/log_stream",
      "v1/schema",
    ]) {
      await endpoints.getByRole("checkbox", { name, exact: true }).uncheck();
    }
    await screen("gear-endpoints");
    await endpoints.getByRole("button", { name: "Done" }).click();
    const configs = await gear("Manage Config Access");
    await configs.getByRole("checkbox", { name: /Billing/ }).check();
    await configs.getByRole("checkbox", { name: /Default audit log/ }).uncheck();
    await configs.getByRole("button", { name: "Done" }).click();
    const fields = await gear("Manage Field Restrictions");
    await fields.getByLabel("Restrict field").selectOption("tenant_id");
    await fields.getByRole("button", { name: "Add restriction" }).click();
    await fields.getByLabel(/tenant_id may be/).fill("acme");
    await screen("gear-field-restrictions");
    await fields.getByRole("button", { name: "Done" }).click();
    await dialog.getByRole("button", { name: "Create token", exact: true }).click();
    const secret = dialog.getByRole("region", { name: "Secret of acme reader" });
    await secret.getByText("it is shown only this once").waitFor();
    readerSecret = (await secret.locator("code").textContent()) ?? "";
    assert.match(readerSecret, /^pts_/);
    await dialog.getByRole("button", { name: "Done" }).click();
    const row = page.getByRole("row", { name: /acme reader/ });
    await row.getByText("v1/log, v1/search").waitFor();
    await row.getByText("Billing: tenant_id = acme").waitFor();
    await screen("tokens");

    // The SDK logs with it: its grant allows writing acme's events only.
    const acme = new AuditService(readerSecret, new PangeaConfig({ baseUrlTemplate: server.url }));
    for (let i = 0; i < 22; i++) {
      await acme.log({
        message: `acme invoice ${i}`,
        actor: i % 2 === 0 ? "alice" : "carol",
        tenant_id: "acme",
        old: JSON.stringify({ amount: 100 + i, state: "draft" }),
        new: JSON.stringify({ amount: 200 + i, state: "sent" }),
      });
    }
  });

  it("copies a token as a template, extends it, rotates it with a grace period and revokes it after a confirmation", async () => {
    const rowOf = (name: string) =>
      page.getByRole("row").filter({ has: page.getByText(name, { exact: true }) });
    const act = async (name: string, item: string) => {
      await rowOf(name)
        .getByRole("button", { name: `Actions for ${name}` })
        .click();
      await page.getByRole("menuitem", { name: item }).click();
    };
    await act("acme reader", "Copy as template");
    const create = page.getByRole("dialog", { name: "Create Token" });
    assert.equal(await create.getByLabel("Token name").inputValue(), "Copy of acme reader");
    await create.getByRole("button", { name: "Create token", exact: true }).click();
    await create.getByText("it is shown only this once").waitFor();
    await create.getByRole("button", { name: "Done" }).click();
    const copy = rowOf("Copy of acme reader");
    await copy.getByText("v1/log, v1/search").waitFor();
    await copy.getByText("Billing: tenant_id = acme").waitFor();

    await act("Copy of acme reader", "Extend");
    const extend = page.getByRole("dialog", { name: "Extend Copy of acme reader" });
    await extend.getByLabel("Configuration to add").selectOption({ label: "Default audit log" });
    await extend.getByRole("button", { name: "Extend token" }).click();
    await copy.getByText("Billing, Default audit log").waitFor();

    await act("Copy of acme reader", "Rotate");
    const rotate = page.getByRole("dialog", { name: "Rotate Copy of acme reader" });
    await rotate.getByLabel("Grace period for the old secret").selectOption("1h");
    await rotate.getByRole("button", { name: "Rotate secret" }).click();
    await rotate.getByText("The old secret stops working at").waitFor();
    const until = await rotate.locator("time").getAttribute("datetime");
    assert.ok(Math.abs(Date.parse(until ?? "") - Date.now() - 3600_000) < 60_000, String(until));
    await rotate.getByRole("button", { name: "Done" }).click();

    await act("Copy of acme reader", "Revoke");
    const confirm = page.getByRole("alertdialog", { name: "Revoke Copy of acme reader?" });
    await confirm.getByText(/stops working at once/).waitFor();
    await screen("token-revoke-confirm");
    await confirm.getByRole("button", { name: "Revoke Copy of acme reader" }).click();
    await copy.getByText("revoked").waitFor();
  });

  it("finds the events with a query and a time range, shows a bad query's position, pages, expands, downloads; every lock amber", async () => {
    await page.getByRole("link", { name: "Log Viewer" }).click();
    await page.getByRole("heading", { name: "Log Viewer" }).waitFor();
    const pager = page.getByRole("navigation", { name: "Pages" });
    await pager.getByText("1–20 of 27").waitFor();

    // The published records' locks are green: hash, proof against the checkpoint's root, and
    // that root's consistency with the one before it, all checked here in the browser.
    const query0 = page.getByRole("combobox", { name: "Search query" });
    await query0.fill("tenant_id=globex");
    await query0.press("Enter");
    await pager.getByText("1–5 of 5").waitFor();
    const green = page.getByRole("button", { name: "Verified", exact: true });
    assert.equal(await countOnceThere(green, 5), 5);
    await green.first().click();
    const greenPopover = page.getByRole("dialog", { name: "Tamper-proofing validation" });
    await greenPopover.getByText("Consistency: passed").waitFor();
    await greenPopover.getByText("Membership proof: passed").waitFor();
    await greenPopover.getByText("Signed checkpoint: passed").waitFor();
    await screen("viewer-published");
    await page.keyboard.press("Escape");

    // Autocomplete completes the word at the caret from the schema.
    const query = page.getByRole("combobox", { name: "Search query" });
    await query.fill("tena");
    await page.getByRole("option", { name: /tenant_id=/ }).waitFor();
    await query.press("Tab");
    assert.equal(await query.inputValue(), "tenant_id=");
    await query.fill("tenant_id=acme AND (");
    await query.press("Enter");
    const error = page.getByRole("alert").filter({ hasText: "position" });
    await error.waitFor();
    assert.match((await error.textContent()) ?? "", /at position \d+/);
    await screen("viewer-bad-query");

    await query.fill("tenant_id=acme");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("button", { name: /^Time range:/ }).click();
    await page.getByRole("button", { name: "Last 1 hour" }).click();
    await pager.getByText("1–20 of 22").waitFor();
    assert.match(page.url(), /q=tenant_id%3Dacme/);
    assert.match(page.url(), /range=last%3A1hour/);
    const locks = page.getByRole("button", { name: /^Verified against an unpublished root$|^Verified$/ });
    assert.equal(await countOnceThere(locks, 20), 20);
    await pager.getByRole("button", { name: "Next page" }).click();
    await pager.getByText("21–22 of 22").waitFor();
    assert.equal(await countOnceThere(locks, 2), 2);
    await pager.getByRole("button", { name: "Previous page" }).click();
    await pager.getByText("1–20 of 22").waitFor();

    await page.getByRole("button", { name: /^Expand event acme invoice 21/ }).click();
    const diff = page.getByRole("region", { name: "Changes from old to new" });
    await diff.locator("ins").first().waitFor();
    assert.match((await diff.textContent()) ?? "", /221/);
    await screen("viewer-expanded");
    // The keyboard reaches and opens a row too.
    const second = page.getByRole("button", { name: /^Expand event acme invoice 20/ });
    await second.focus();
    await page.keyboard.press("Enter");
    assert.equal(
      await page
        .getByRole("button", { name: /^Collapse event acme invoice 20/ })
        .getAttribute("aria-expanded"),
      "true",
    );
    await page.keyboard.press("Enter");
    await locks.first().click();
    const popover = page.getByRole("dialog", { name: "Tamper-proofing validation" });
    await popover.getByText("Envelope hash: passed").waitFor();
    await popover.getByText("Membership proof: passed").waitFor();
    await screen("viewer-lock");
    await popover.getByRole("button", { name: "Copy verification artifacts" }).click();
    const artifact = JSON.parse(await page.evaluate(() => navigator.clipboard.readText())) as Record<
      string,
      unknown
    >;
    assert.ok(
      artifact["envelope"] && artifact["membership_proof"] !== undefined && artifact["unpublished_root"],
    );
    await page.keyboard.press("Escape");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download CSV" }).click(),
    ]);
    const csv = gunzipSync(readFileSync((await download.path())!)).toString("utf8");
    assert.equal(csv.trim().split("\n").length, 23);
    assert.match(csv.split("\n")[0]!, /received_at/);

    // One click in an expanded row filters for its value.
    await page.getByRole("button", { name: "Filter for actor = carol" }).click();
    await pager.getByText("1–11 of 11").waitFor();
    assert.match(page.url(), /q=tenant_id%3Dacme\+AND\+actor%3Dcarol/);
  });

  it("shows a red lock naming the failed check for an envelope changed in the database", async () => {
    const db = new Database(join(server.config.dataDir, "veritrail.db"));
    try {
      const changed = db
        .prepare(
          "UPDATE events SET envelope = replace(envelope, 'acme invoice 3\"', 'acme invoice 33\"') WHERE envelope LIKE ?",
        )
        .run('%"acme invoice 3"%');
      assert.equal(changed.changes, 1);
    } finally {
      db.close();
    }
    await page.getByRole("combobox", { name: "Search query" }).fill("actor=carol");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("navigation", { name: "Pages" }).getByText("1–11 of 11").waitFor();
    const red = page.getByRole("button", { name: "Verification failed: Envelope hash" });
    assert.equal(await countOnceThere(red, 1), 1);
    await red.click();
    await page.getByText("Envelope hash: FAILED").waitFor();
    await screen("viewer-tampered");
    await page.keyboard.press("Escape");
    assert.equal(
      await countOnceThere(page.getByRole("button", { name: /^Verified against an unpublished root$/ }), 10),
      10,
    );
  });

  it("shows Settings with the schema, and stays usable at 390 px wide", async () => {
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Audit Log Schema" }).waitFor();
    await page.getByRole("cell", { name: "tenant_id" }).waitFor();
    await screen("settings");
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole("link", { name: "Log Viewer" }).click();
    await page.getByRole("navigation", { name: "Pages" }).getByText(/of 27/).waitFor();
    await screen("viewer-narrow");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("adds, edits and removes tenant retention in Settings of a partitioned configuration only", async () => {
    const billing = await admin<{ partition_overrides?: unknown }>("/v1beta/config", { id: billingId });
    assert.equal(billing.partition_overrides, undefined);
    assert.equal(await page.getByRole("heading", { name: "Tenant retention" }).count(), 0);
    const tenants = await admin<{ id: string }>("/v1beta/config/create", {
      name: "Tenants",
      warm_storage: "30d",
      schema: {
        fields: [
          { id: "message", type: "text", required: true },
          { id: "tenant_id", name: "Tenant", type: "string", size: 64, partitioned: true },
        ],
      },
    });
    await page.goto(`${server.url}/console/c/${tenants.id}/settings`);
    await page.getByRole("heading", { name: "Tenant retention" }).waitFor();
    await page.getByText("No tenant has its own retention.").waitFor();

    await page.getByRole("button", { name: "Add tenant retention" }).click();
    const add = page.getByRole("dialog", { name: "Add tenant retention" });
    await add.getByLabel("Tenant (tenant_id)").fill("acme");
    await add.getByLabel("Warm storage").fill("90d");
    await add.getByLabel("Cold storage").fill("30d");
    await add.getByRole("button", { name: "Save retention" }).click();
    // The server's refusal is shown at the field its pointer names; nothing was saved.
    await add.getByText(/cold_storage must be between 180d/).waitFor();
    await add.getByLabel("Cold storage").fill("16month");
    await add.getByRole("button", { name: "Save retention" }).click();
    await add.waitFor({ state: "detached" });
    const table = page.getByRole("table", { name: "Tenant retention" });
    await table.getByRole("row", { name: /acme 90d 16month/ }).waitFor();

    await page.getByRole("button", { name: "Edit retention of acme" }).click();
    const edit = page.getByRole("dialog", { name: "Retention of acme" });
    await edit.getByLabel("Warm storage").fill("7d");
    await edit.getByRole("button", { name: "Save retention" }).click();
    await edit.waitFor({ state: "detached" });
    await table.getByRole("row", { name: /acme 7d 16month/ }).waitFor();

    await page.getByRole("button", { name: "Add tenant retention" }).click();
    await add.getByLabel("Tenant (tenant_id)").fill("globex");
    await add.getByLabel("Warm storage").fill("1y");
    await add.getByRole("button", { name: "Save retention" }).click();
    await add.waitFor({ state: "detached" });
    await table.getByRole("row", { name: /globex 1y none \(default\)/ }).waitFor();
    await screen("settings-tenant-retention");

    await page.getByRole("button", { name: "Remove retention of globex" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Remove globex" }).click();
    await page.getByText("Removed the retention of globex").waitFor();
    assert.equal(await table.getByRole("row", { name: /globex/ }).count(), 0);
    const saved = await admin<{ partition_overrides?: unknown }>("/v1beta/config", { id: tenants.id });
    assert.deepEqual(saved.partition_overrides, { acme: { warm_storage: "7d", cold_storage: "16month" } });
    await page.goto(`${server.url}/console/c/${billingId}/settings`);
    await page.getByRole("heading", { name: "Audit Log Schema" }).waitFor();
    assert.equal(await page.getByRole("heading", { name: "Tenant retention" }).count(), 0);
  });

  it("signs in with the restricted token and sees only acme's events; sign-out ends the session on the server", async () => {
    await signOut();
    await signIn(readerSecret);
    await page.getByRole("heading", { name: "Log Viewer" }).waitFor();
    assert.match(page.url(), new RegExp(`/console/c/${billingId}/logs`));
    await page.getByText("Restricted to tenant_id = acme").waitFor();
    // Only the log viewer: no Overview, Tokens or Settings, and the drop-down lists Billing alone.
    assert.equal(await page.getByRole("link", { name: "Tokens" }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "Settings" }).count(), 0);
    await page.getByRole("navigation", { name: "Pages" }).getByText("1–20 of 22").waitFor();
    const tenants = await page.getByRole("row").filter({ hasText: "invoice" }).allTextContents();
    assert.equal(tenants.length, 20);
    assert.ok(tenants.every((t) => t.includes("acme") && !t.includes("globex")));
    // Its grant has neither v1/results nor v1/download_results: no paging, no download offered.
    assert.ok(await page.getByRole("button", { name: "Next page" }).isDisabled());
    assert.ok(await page.getByRole("button", { name: "Download CSV" }).isDisabled());
    await screen("restricted-viewer");
    await page.getByRole("button", { name: /^Configuration/ }).click();
    assert.equal(await countOnceThere(page.getByRole("menuitem"), 1), 1);
    await page.keyboard.press("Escape");

    const cookie = (await context.cookies()).find((c) => c.name === "veritrail_session");
    assert.ok(cookie);
    await signOut();
    const replay = await fetch(`${server.url}/v1/session`, {
      headers: { cookie: `${cookie.name}=${cookie.value}` },
    });
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { status: string }).status, "Unauthorized");
    assert.deepEqual(cspViolations, []);
  });
});
