// Search never widens a token's grant (product-features §4 `search_restriction`, §11, §13;
// docs/design/config-resolution.md): a token restricted to tenant acme finds only acme's events,
// whatever the query says (OR, negation, free terms) and whatever search_restriction it sends; a
// result id pages only for the token that made it, while its grant still reads the same;
// configurations stay apart. Each escape is tried and must be refused or come back restricted.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Envelope } from "@veritrail/core";
import { createConfig, createToken, successResult } from "./support/admin.js";
import {
  type ApiResponse,
  assertApiError,
  assertUnauthorized,
  assertValidationError,
} from "./support/api-assertions.js";
import { unknownConfigId, updateToken } from "./support/grants.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

interface SearchResult {
  id: string;
  count: number;
  events: { envelope: Envelope; hash: string }[];
}

describe("search restrictions", () => {
  let server: TestServer;
  /** The default configuration (A) and a second one (B). */
  let configA: string;
  let configB: string;
  const tag = `r${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  /** A's events: two of tenant acme, two of globex, one without a tenant. */
  const ACME = 2;

  /** A token for A restricted to tenant acme, and its id (for grant changes). */
  let acme: { id: string; token: string };
  /** The grant of `acme`, as it was made. */
  let acmeGrant: Record<string, unknown>;

  before(async () => {
    server = await startTestServer();
    configA = server.configId;
    configB = (await createConfig(server, { name: "B" })).id;
    acmeGrant = { audit: { configs: [configA], field_restrictions: { [configA]: { tenant_id: ["acme"] } } } };
    acme = await createToken(server, acmeGrant);
    const everyone = await createToken(server, { audit: { configs: [configA, configB] } });
    await postJson(
      `${server.url}/v2/log`,
      {
        config_id: configA,
        events: [
          { event: { message: `${tag} acme one`, tenant_id: "acme", actor: "alice" } },
          { event: { message: `${tag} acme two`, tenant_id: "acme", actor: "bob" } },
          { event: { message: `${tag} globex secret`, tenant_id: "globex", actor: "alice" } },
          { event: { message: `${tag} globex two`, tenant_id: "globex", actor: "carol" } },
          { event: { message: `${tag} no tenant` } },
        ],
      },
      everyone.token,
    ).then(successResult);
    await postJson(
      `${server.url}/v2/log`,
      { config_id: configB, events: [{ event: { message: `${tag} in B`, tenant_id: "acme" } }] },
      everyone.token,
    ).then(successResult);
  });
  after(() => server.close());

  const search = (body: Record<string, unknown>, token: string): Promise<ApiResponse> =>
    postJson(`${server.url}/v1/search`, body, token);
  const results = (body: Record<string, unknown>, token: string): Promise<ApiResponse> =>
    postJson(`${server.url}/v1/results`, body, token);
  const searchOk = async (body: Record<string, unknown>, token: string) =>
    successResult<SearchResult>(await search(body, token));

  /** The tenants of what a search found; every one must be acme for the restricted token. */
  const tenants = (result: SearchResult) => result.events.map((e) => e.envelope.event["tenant_id"]);

  describe("the token's field restrictions hold against the query", () => {
    const ESCAPES = [
      `message:${tag}`,
      `message:${tag} OR tenant_id=globex`,
      `tenant_id=globex OR message:${tag}`,
      `(message:${tag}) OR (message:"")`,
      `message:"" OR -message:""`,
      `-tenant_id=acme`,
      `-(tenant_id=acme) OR message:${tag}`,
      `-(-(tenant_id:globex))`,
      `globex`,
      `${tag} secret`,
      `tenant_id:glob`,
      "",
    ];

    for (const query of ESCAPES) {
      it(`finds only acme events for ${JSON.stringify(query)}`, async () => {
        const found = await searchOk({ query, limit: 100 }, acme.token);
        assert.ok(
          tenants(found).every((t) => t === "acme"),
          `${query} leaked ${JSON.stringify(tenants(found))}`,
        );
        assert.ok(found.count <= ACME, `${query} found ${found.count}`);
      });
    }

    it("still finds acme's own events", async () => {
      assert.equal((await searchOk({ query: `message:${tag}` }, acme.token)).count, ACME);
      assert.equal((await searchOk({ query: `${tag} alice` }, acme.token)).count, 1);
      // The unrestricted token sees all five.
      assert.equal((await searchOk({ query: `message:${tag}` }, server.auditToken)).count, 5);
    });
  });

  describe("a search_restriction only narrows", () => {
    it("naming another tenant finds nothing, naming several keeps only the token's", async () => {
      const q = { query: `message:${tag}` };
      assert.equal(
        (await searchOk({ ...q, search_restriction: { tenant_id: ["globex"] } }, acme.token)).count,
        0,
      );
      const both = await searchOk(
        { ...q, search_restriction: { tenant_id: ["acme", "globex"] } },
        acme.token,
      );
      assert.deepEqual(tenants(both), ["acme", "acme"]);
      assert.equal((await searchOk({ ...q, search_restriction: { tenant_id: [] } }, acme.token)).count, ACME);
      const alice = await searchOk({ ...q, search_restriction: { actor: ["alice", "carol"] } }, acme.token);
      assert.deepEqual(
        alice.events.map((e) => e.envelope.event["message"]),
        [`${tag} acme one`],
      );
    });

    it("restricts an unrestricted token's search too", async () => {
      const q = { query: `message:${tag}`, search_restriction: { tenant_id: ["globex"] } };
      assert.deepEqual(tenants(await searchOk(q, server.auditToken)), ["globex", "globex"]);
    });

    it("is what assert_search_restriction is checked against on every page", async () => {
      const made = await searchOk(
        { query: `message:${tag}`, search_restriction: { actor: ["bob", "alice"] } },
        acme.token,
      );
      const page = (assert_search_restriction: unknown) =>
        results({ id: made.id, assert_search_restriction }, acme.token);
      // The same restriction, in any order, holds.
      assert.equal(successResult<SearchResult>(await page({ actor: ["alice", "bob"] })).count, 2);
      for (const other of [
        {},
        { actor: ["alice"] },
        { actor: ["alice", "bob", "carol"] },
        { tenant_id: ["acme"] },
      ]) {
        assertValidationError(await page(other), [
          { code: "BadState", source: "/assert_search_restriction" },
        ]);
      }
    });
  });

  describe("a result set pages only for its maker, under the same grant", () => {
    it("refuses a result id made by a wider token, and the wider token another's result", async () => {
      const wide = await searchOk({ query: `message:${tag}` }, server.auditToken);
      assert.equal(wide.count, 5);
      assertUnauthorized(await results({ id: wide.id }, acme.token));
      assertUnauthorized(await results({ id: wide.id, offset: 0, limit: 5 }, acme.token));
      const own = await searchOk({ query: `message:${tag}` }, acme.token);
      assertUnauthorized(await results({ id: own.id }, server.auditToken));
    });

    it("refuses once the maker's restriction changed, wider or narrower, and reads again once it is back", async () => {
      const made = await searchOk({ query: `message:${tag}` }, acme.token);
      const page = () => results({ id: made.id }, acme.token);
      assert.equal(successResult<SearchResult>(await page()).count, ACME);
      const withTenants = (tenant_id: string[]) => ({
        audit: { configs: [configA], field_restrictions: { [configA]: { tenant_id } } },
      });
      try {
        await updateToken(server, acme.id, { grants: withTenants(["acme", "globex"]) });
        assertUnauthorized(await page());
        await updateToken(server, acme.id, { grants: { audit: { configs: [configA] } } });
        assertUnauthorized(await page());
        await updateToken(server, acme.id, {
          grants: {
            audit: {
              configs: [configA],
              field_restrictions: { [configA]: { tenant_id: ["acme"], actor: ["bob"] } },
            },
          },
        });
        assertUnauthorized(await page());
        await updateToken(server, acme.id, {
          grants: {
            audit: {
              configs: [configA],
              endpoints: ["v1/search"],
              field_restrictions: { [configA]: { tenant_id: ["acme"] } },
            },
          },
        });
        assertUnauthorized(await page());
        await updateToken(server, acme.id, { grants: { audit: { configs: [configB] } } });
        assertUnauthorized(await page());
      } finally {
        await updateToken(server, acme.id, { grants: acmeGrant });
      }
      assert.equal(successResult<SearchResult>(await page()).count, ACME);
    });
  });

  describe("configurations stay apart", () => {
    let multi: string;
    before(async () => {
      multi = (await createToken(server, { audit: { configs: [configA, configB] } })).token;
    });

    it("needs config_id from a token that covers several configurations", async () => {
      assertApiError(await search({ query: `message:${tag}` }, multi), {
        http: 400,
        status: "AmbiguousConfigID",
        errors: [{ code: "FieldRequired", source: "/config_id" }],
      });
      assertApiError(await postJson(`${server.url}/v1/schema`, {}, multi), {
        http: 400,
        status: "AmbiguousConfigID",
        errors: [{ code: "FieldRequired", source: "/config_id" }],
      });
    });

    it("searches only the configuration named, and pages it only there", async () => {
      const inA = await searchOk({ query: `message:${tag}`, config_id: configA }, multi);
      const inB = await searchOk({ query: `message:${tag}`, config_id: configB }, multi);
      assert.equal(inA.count, 5);
      assert.deepEqual(
        inB.events.map((e) => e.envelope.event["message"]),
        [`${tag} in B`],
      );
      const hashesA = new Set(inA.events.map((e) => e.hash));
      assert.ok(inB.events.every((e) => !hashesA.has(e.hash)));
      // Paging A's result, naming B (which the token covers), finds no such result there.
      assertApiError(await results({ id: inA.id, config_id: configB }, multi), {
        http: 404,
        status: "NotFound",
        errors: [{ code: "DoesNotExist", source: "/id" }],
      });
      // Paging needs no config_id: the result knows its configuration.
      assert.equal(successResult<SearchResult>(await results({ id: inA.id }, multi)).count, 5);
      assert.equal(
        successResult<SearchResult>(await results({ id: inB.id, config_id: configB }, multi)).count,
        1,
      );
    });

    it("refuses a config_id the token cannot read: Unauthorized, whether it exists or not", async () => {
      for (const config_id of [configB, unknownConfigId()]) {
        assertUnauthorized(await search({ query: "", config_id }, acme.token));
        assertUnauthorized(await postJson(`${server.url}/v1/schema`, { config_id }, acme.token));
      }
      const own = await searchOk({ query: `message:${tag}` }, acme.token);
      assertUnauthorized(await results({ id: own.id, config_id: configB }, acme.token));
      assertValidationError(await search({ query: "", config_id: "pci_XYZ" }, acme.token), [
        { code: "DoesNotMatchPattern", source: "/config_id" },
      ]);
    });
  });

  describe("the endpoints of the grant", () => {
    it("refuses v1/search to a token without it, before reading the body", async () => {
      const noSearch = await createToken(server, {
        audit: { configs: [configA], endpoints: ["v1/log", "v1/results"] },
      });
      assertUnauthorized(await search({ query: "" }, noSearch.token));
      assertUnauthorized(await search({ query: "(", limit: 0 }, noSearch.token));
    });

    it("refuses v1/results to a token without it, for any id", async () => {
      const noResults = await createToken(server, {
        audit: { configs: [configA], endpoints: ["v1/search"] },
      });
      const made = await searchOk({ query: `message:${tag}` }, noResults.token);
      assertUnauthorized(await results({ id: made.id }, noResults.token));
      assertUnauthorized(await results({ id: `pas_${"b".repeat(32)}` }, noResults.token));
      assertUnauthorized(await results({ id: 5 }, noResults.token));
    });

    it("refuses the admin credential and no token at all", async () => {
      assertUnauthorized(await search({ query: "" }, server.adminToken));
      assertUnauthorized(await postJson(`${server.url}/v1/search`, { query: "" }, undefined));
      assertUnauthorized(
        await postJson(`${server.url}/v1/results`, { id: `pas_${"c".repeat(32)}` }, undefined),
      );
    });
  });
});
