import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Fastify from "fastify";
import { systemClock } from "../../clock.js";
import { CONSOLE_CSP, registerConsoleRoutes } from "./console-static.js";

describe("the console's static files", () => {
  const dir = mkdtempSync(join(tmpdir(), "veritrail-console-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(
    join(dir, "index.html"),
    '<!doctype html><script type="module" src="/console/assets/a.js"></script>',
  );
  writeFileSync(join(dir, "assets", "a.js"), "console.log(1)");
  const app = Fastify();
  app.decorateRequest("veritrail", undefined as never);
  app.addHook("onRequest", async (request) => {
    request.veritrail = { requestId: "prq_x", requestTime: "", clock: systemClock };
  });
  registerConsoleRoutes(app, dir);
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("redirects / to /console/", async () => {
    const response = await app.inject({ url: "/" });
    assert.equal(response.statusCode, 302);
    assert.equal(response.headers.location, "/console/");
  });

  it("answers the index for the console's own routes, with a CSP that allows no inline script or style", async () => {
    for (const url of ["/console/", "/console/c/pci_x/logs?q=a"]) {
      const response = await app.inject({ url });
      assert.equal(response.statusCode, 200, url);
      assert.match(String(response.headers["content-type"]), /^text\/html/);
      assert.equal(response.headers["content-security-policy"], CONSOLE_CSP);
      assert.match(response.body, /assets\/a\.js/);
    }
    assert.ok(!CONSOLE_CSP.includes("unsafe-inline"));
    assert.match(CONSOLE_CSP, /script-src 'self'/);
    assert.match(CONSOLE_CSP, /style-src 'self'/);
    assert.match(CONSOLE_CSP, /frame-ancestors 'none'/);
  });

  it("serves a hashed asset as immutable and answers NotFound for a missing one", async () => {
    const asset = await app.inject({ url: "/console/assets/a.js" });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers["content-type"]), /^text\/javascript/);
    assert.match(String(asset.headers["cache-control"]), /immutable/);
    const missing = await app.inject({ url: "/console/assets/missing.js" });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().status, "NotFound");
    const traversal = await app.inject({ url: "/console/../../package.json" });
    assert.notEqual(traversal.statusCode, 200);
  });
});
