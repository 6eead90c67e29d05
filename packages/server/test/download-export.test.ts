// Downloads and exports (wire-protocol §4.5, sdk-acceptance-cases.md E30–E31,
// docs/design/exports.md): a search's results and an export's file are fetched through a signed
// link with no Authorization header, and what they hold verifies offline with @veritrail/core
// alone (the hash of each canonical envelope, each membership proof against the file's root,
// that root against v1/root). A link opens exactly one file until its time, only while the
// token that asked for it may still read it; an export holds only what its token may read.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  canonicalEnvelope,
  type Envelope,
  noteOpener,
  sha256Hex,
  type VerifiableFile,
  verifyFile,
  verifyMembership,
} from "@veritrail/core";
import { Audit, AuditService, PangeaConfig, PangeaErrors } from "pangea-node-sdk";
import { createService, type Service } from "../src/main.js";
import { createConfig, createToken, successResult } from "./support/admin.js";
import {
  type ApiResponse,
  assertEnvelope,
  assertUnauthorized,
  assertValidationError,
} from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import { pollRequest, revokeToken, sleep, updateToken } from "./support/grants.js";
import { freePort, postJson, startTestServer, type TestServer } from "./support/test-server.js";
import {
  dropSchema,
  freshSchema,
  openSharedPostgresStore,
  POSTGRES_SKIP_REASON,
  TEST_DATABASE_URL,
} from "./support/test-store.js";

const HEX64 = /^[0-9a-f]{64}$/;

/** The JSON file of a download (log/event-file.ts). */
interface JsonFile {
  tree_name: string;
  count: number;
  unpublished_root?: { tree_name: string; size: number; root_hash: string };
  events: {
    envelope: Envelope;
    hash: string;
    membership_proof?: string;
    published?: boolean;
    leaf_index?: number;
  }[];
}

interface Link {
  dest_url: string;
  expires_at: string;
}

interface FetchedFile {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

/** A plain GET, as the SDKs fetch `dest_url`: no Authorization header. */
async function fetchFile(url: string): Promise<FetchedFile> {
  const response = await fetch(url);
  return {
    status: response.status,
    headers: response.headers,
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

/** A download that must succeed: gzip bytes under a `.gz` name, returned gunzipped. */
async function download(url: string): Promise<string> {
  const file = await fetchFile(url);
  assert.equal(file.status, 200, file.bytes.toString());
  assert.equal(file.headers.get("content-type"), "application/gzip");
  assert.equal(
    file.headers.get("content-encoding"),
    null,
    "the file is the gzip bytes, not an encoding of them",
  );
  const name = new URL(url).pathname.split("/").pop()!;
  assert.equal(file.headers.get("content-disposition"), `attachment; filename="${name}"`);
  assert.match(file.headers.get("cache-control") ?? "", /no-store/);
  return gunzipSync(file.bytes).toString("utf8");
}

/** A refused download: the Pangea envelope with this HTTP status. */
async function assertRefused(url: string, httpStatus: number, status: string): Promise<ApiResponse["body"]> {
  const response = await fetch(url);
  const body = (await response.json()) as ApiResponse["body"];
  assertEnvelope({ headers: response.headers, body });
  assert.equal(response.status, httpStatus, JSON.stringify(body));
  assert.equal(body.status, status);
  return body;
}

/** The rows of an RFC 4180 CSV text (quoted values may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let value = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        value += '"';
        i++;
      } else if (c === '"') quoted = false;
      else value += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(value);
      value = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(value);
      rows.push(row);
      row = [];
      value = "";
      i++;
    } else value += c;
  }
  assert.equal(value, "", "the file ends with a line break");
  return rows;
}

describe("download and export", () => {
  let server: TestServer;
  const clock = new FakeClock();
  const tag = `d${process.pid}x${Math.random().toString(36).slice(2, 8)}`;
  /** A token of the default configuration restricted to tenant acme. */
  let acme: { id: string; token: string };
  /** Another token of the default configuration, with no restriction. */
  let other: { id: string; token: string };
  /** The hashes of the events logged an hour before the rest, and of the rest, oldest first. */
  let early: string[];
  let late: string[];
  /** The `received_at` of each late event. */
  let lateAt: string[];
  const TRICKY = `${tag} said "hi", then\r\nleft`;

  before(async () => {
    server = await startTestServer({}, { clock });
    acme = await createToken(server, {
      audit: {
        configs: [server.configId],
        field_restrictions: { [server.configId]: { tenant_id: ["acme"] } },
      },
    });
    other = await createToken(server, { audit: { configs: [server.configId] } });
    const log = async (events: Record<string, unknown>[]) =>
      successResult<{ results: { hash: string; envelope: Envelope }[] }>(
        await postJson(
          `${server.url}/v2/log`,
          { events: events.map((event) => ({ event })), verbose: true },
          server.auditToken,
        ),
      ).results;
    early = (
      await log([
        { message: `${tag} early one`, tenant_id: "acme", actor: "zed" },
        { message: `${tag} early two`, tenant_id: "globex", actor: "amy" },
      ])
    ).map((r) => r.hash);
    clock.advance(60 * 60_000);
    const lateResults = await log([
      { message: `${tag} late one`, tenant_id: "acme", actor: "bob" },
      { message: TRICKY, tenant_id: "globex", actor: "cat" },
      { message: `${tag} late three`, tenant_id: "acme", actor: "amy", status: "a,b" },
      { message: `${tag} late four`, actor: "dan" },
    ]);
    late = lateResults.map((r) => r.hash);
    lateAt = lateResults.map((r) => r.envelope.received_at);
  });
  after(() => server.close());

  const api = (path: string, body: unknown, token = server.auditToken) =>
    postJson(`${server.url}${path}`, body, token);
  const linkFor = async (body: Record<string, unknown>, token = server.auditToken) =>
    successResult<Link>(await api("/v1/download_results", body, token));
  const searchId = async (body: Record<string, unknown>, token = server.auditToken) =>
    successResult<{ id: string; count: number; events: { hash: string }[] }>(
      await api("/v1/search", { start: "1d", limit: 1, ...body }, token),
    );

  /** Polls `request/{id}` until the export is done, and checks it then answers Success with `{}`. */
  async function exported(body: Record<string, unknown>, token = server.auditToken): Promise<string> {
    const accepted = await api("/v1/export", body, token);
    assertEnvelope(accepted);
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.status, "Accepted");
    const id = accepted.body.request_id as string;
    assert.deepEqual(Object.keys(accepted.body.result).sort(), ["location", "retry_counter", "ttl_mins"]);
    assert.equal(accepted.body.result.location, `${server.url}/request/${id}`);
    for (let i = 0; i < 400; i++) {
      const polled = await pollRequest(server, id, token);
      if (polled.status === 200) {
        assert.equal(polled.body.status, "Success", JSON.stringify(polled.body));
        assert.equal(polled.body.request_id, id);
        assert.deepEqual(polled.body.result, {});
        return id;
      }
      assert.equal(polled.status, 202, JSON.stringify(polled.body));
      assert.equal(polled.body.status, "Accepted");
      await sleep(10);
    }
    assert.fail(`export ${id} did not finish`);
  }

  /**
   * Checks a JSON file the way an offline verifier would: each hash is the SHA-256 of the
   * canonical envelope, each proof folds it to the file's root, and that root is the tree's root
   * at its size per v1/root. Returns the hashes in file order.
   */
  async function verifyJson(text: string): Promise<string[]> {
    const file = JSON.parse(text) as JsonFile;
    assert.equal(file.count, file.events.length);
    const root = file.unpublished_root;
    assert.ok(root, "a file with proofs names the root they are against");
    assert.deepEqual(Object.keys(root).sort(), ["root_hash", "size", "tree_name"]);
    const atSize = successResult<{ data: { root_hash: string; tree_name: string } }>(
      await api("/v1/root", { tree_size: root.size }),
    ).data;
    assert.equal(root.root_hash, atSize.root_hash);
    assert.equal(root.tree_name, atSize.tree_name);
    for (const event of file.events) {
      assert.match(event.hash, HEX64);
      assert.equal(sha256Hex(canonicalEnvelope(event.envelope)), event.hash);
      assert.equal(event.published, false, "nothing is published in this suite");
      assert.equal(typeof event.leaf_index, "number");
      assert.equal(typeof event.membership_proof, "string");
      assert.ok(
        verifyMembership({ leafHash: event.hash, rootHash: root.root_hash, proof: event.membership_proof! }),
        `the proof of ${event.hash} folds to the root`,
      );
    }
    return file.events.map((e) => e.hash);
  }

  describe("a search's results", () => {
    it("download as JSON that verifies offline, through a link that needs no Authorization", async () => {
      const search = await searchId({ query: `message:${tag}`, order: "asc" });
      assert.equal(search.count, 6);
      const link = await linkFor({ result_id: search.id, format: "json" });
      const url = new URL(link.dest_url);
      assert.equal(url.origin, server.url);
      assert.equal(url.pathname, `/download/results/${search.id}.json.gz`);
      const expiresIn = Date.parse(link.expires_at) - clock.nowMillis();
      assert.ok(expiresIn > 0 && expiresIn <= 60 * 60_000, `expires_at ${link.expires_at}`);
      const hashes = await verifyJson(await download(link.dest_url));
      // Every match, not only the first page, in the search's order.
      assert.deepEqual(hashes, [...early, ...late]);
    });

    it("download as CSV by default, one row per event with received_at, the schema's fields and hash", async () => {
      const search = await searchId({ query: `message:${tag}`, order: "asc" });
      const link = await linkFor({ result_id: search.id });
      assert.match(new URL(link.dest_url).pathname, /\.csv\.gz$/);
      const [header, ...rows] = parseCsv(await download(link.dest_url));
      assert.deepEqual(header, [
        "received_at",
        "message",
        "actor",
        "action",
        "status",
        "source",
        "target",
        "tenant_id",
        "new",
        "old",
        "timestamp",
        "hash",
      ]);
      assert.equal(rows.length, 6);
      assert.deepEqual(
        rows.map((r) => r.at(-1)),
        [...early, ...late],
      );
      const column = (name: string) => header!.indexOf(name);
      const tricky = rows.find((r) => r[column("hash")] === late[1])!;
      assert.equal(tricky[column("message")], TRICKY, "quotes, commas and line breaks survive");
      assert.equal(rows.find((r) => r[column("hash")] === late[2])![column("status")], "a,b");
      assert.match(tricky[column("received_at")]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    });

    it("download only what the restricted token's search found", async () => {
      const search = await searchId({ query: `message:${tag}`, order: "asc" }, acme.token);
      const link = await linkFor({ result_id: search.id, format: "json" }, acme.token);
      const file = JSON.parse(await download(link.dest_url)) as JsonFile;
      assert.deepEqual(
        file.events.map((e) => e.envelope.event["tenant_id"]),
        ["acme", "acme", "acme"],
      );
    });

    it("cannot be linked by another token, and assert_search_restriction is held", async () => {
      const search = await searchId({ query: `message:${tag}`, search_restriction: { actor: ["amy"] } });
      assertUnauthorized(await api("/v1/download_results", { result_id: search.id }, other.token));
      assertUnauthorized(await api("/v1/download_results", { result_id: search.id }, acme.token));
      assertValidationError(
        await api("/v1/download_results", {
          result_id: search.id,
          assert_search_restriction: { actor: ["bob"] },
        }),
        [{ code: "BadState", source: "/assert_search_restriction" }],
      );
      await linkFor({ result_id: search.id, assert_search_restriction: { actor: ["amy"] } });
    });

    it("refuses a request naming neither id, both, or a malformed one", async () => {
      assertValidationError(await api("/v1/download_results", {}), [{ code: "MustProvideOne", source: "" }]);
      assertValidationError(
        await api("/v1/download_results", {
          result_id: `pas_${"a".repeat(32)}`,
          request_id: `prq_${"a".repeat(32)}`,
        }),
        [{ code: "MutuallyExclusive", source: "/request_id" }],
      );
      assertValidationError(await api("/v1/download_results", { result_id: "pas_x", format: "xml" }), [
        { code: "DoesNotMatchPattern", source: "/result_id" },
        { code: "NotEnumMember", source: "/format" },
      ]);
      const unknown = await api("/v1/download_results", { result_id: `pas_${"a".repeat(32)}` });
      assert.equal(unknown.body.status, "NotFound");
    });
  });

  describe("a link", () => {
    let link: Link;
    let searchIdOf: string;

    before(async () => {
      const search = await searchId({ query: `message:${tag}` });
      searchIdOf = search.id;
      link = await linkFor({ result_id: search.id, format: "json" });
    });

    it("opens only the file, format and time it was signed for", async () => {
      const url = new URL(link.dest_url);
      const sig = url.searchParams.get("sig")!;
      const expires = url.searchParams.get("expires")!;
      const other = await searchId({ query: `message:${tag}` });
      const variants: [string, (u: URL) => void][] = [
        [
          "a changed signature",
          (u) => u.searchParams.set("sig", `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`),
        ],
        ["a truncated signature", (u) => u.searchParams.set("sig", sig.slice(0, -1))],
        ["no signature", (u) => u.searchParams.delete("sig")],
        ["a later expiry", (u) => u.searchParams.set("expires", String(Number(expires) + 3600))],
        ["no expiry", (u) => u.searchParams.delete("expires")],
        ["another result set", (u) => (u.pathname = `/download/results/${other.id}.json.gz`)],
        ["another format", (u) => (u.pathname = `/download/results/${searchIdOf}.csv.gz`)],
        ["another kind", (u) => (u.pathname = `/download/export/prq_${searchIdOf.slice(4)}.json.gz`)],
      ];
      for (const [what, change] of variants) {
        const tampered = new URL(link.dest_url);
        change(tampered);
        const body = await assertRefused(tampered.href, 403, "Unauthorized");
        assert.equal(body.summary, "Not authorized to access this resource", what);
      }
      await assertRefused(`${server.url}/download/results/nonsense?expires=1&sig=x`, 404, "NotFound");
      await assertRefused(`${server.url}/download/other/${searchIdOf}.json.gz${url.search}`, 404, "NotFound");
      // The untouched link still opens.
      await download(link.dest_url);
    });

    it("closes when the token that asked for it is revoked", async () => {
      const token = await createToken(server, { audit: { configs: [server.configId] } });
      const search = await searchId({ query: `message:${tag}` }, token.token);
      const own = await linkFor({ result_id: search.id }, token.token);
      await download(own.dest_url);
      await revokeToken(server, token.id);
      await assertRefused(own.dest_url, 403, "Unauthorized");
    });

    it("expires at its expires_at", async () => {
      clock.advancePast(link.expires_at);
      const body = await assertRefused(link.dest_url, 403, "Unauthorized");
      assert.match(String(body.summary), /expired/);
      // A new link to the same (still live) results opens again.
      await download((await linkFor({ result_id: searchIdOf, format: "json" })).dest_url);
    });
  });

  describe("an export", () => {
    it("is accepted with 202, polled to Success, and downloads as a verifiable JSON file", async () => {
      const id = await exported({ format: "json", start: "3h" });
      const link = await linkFor({ request_id: id });
      assert.equal(new URL(link.dest_url).pathname, `/download/export/${id}.json.gz`);
      const hashes = await verifyJson(await download(link.dest_url));
      // Every event of the window, oldest first (an export's default order).
      const [first, ...rest] = hashes;
      assert.equal(first, early[0]);
      assert.deepEqual(rest.slice(0, 5), [early[1], ...late]);
      // Nothing filters it: it claims a whole range of leaves, which an offline verifier holds it to.
      const file = JSON.parse(await download(link.dest_url)) as VerifiableFile;
      assert.equal(file.selection, "range");
      const report = verifyFile(file, { open: noteOpener() });
      assert.equal(report.ok, true, JSON.stringify(report.failures));
      assert.equal(report.contiguity.status, "pass");
    });

    it("holds only the window asked for, in the order asked for", async () => {
      const id = await exported({ format: "csv", start: lateAt[0], end: lateAt[2], order: "desc" });
      const [, ...rows] = parseCsv(
        await download((await linkFor({ request_id: id, format: "csv" })).dest_url),
      );
      assert.deepEqual(
        rows.map((r) => r.at(-1)),
        [late[2], late[1], late[0]],
        "start and end are inclusive",
      );
    });

    it("orders by a schema field when asked", async () => {
      const id = await exported({ format: "csv", start: "1d", order_by: "actor", order: "asc" });
      const [header, ...rows] = parseCsv(await download((await linkFor({ request_id: id })).dest_url));
      const actor = header!.indexOf("actor");
      const ours = rows.filter((r) => r[header!.indexOf("message")]!.includes(tag)).map((r) => r[actor]);
      assert.deepEqual(ours, ["amy", "amy", "bob", "cat", "dan", "zed"]);
    });

    it("of a restricted token holds only what it may read, and closes when its restriction changes", async () => {
      const id = await exported({ format: "json", start: "1d" }, acme.token);
      const link = await linkFor({ request_id: id }, acme.token);
      const file = JSON.parse(await download(link.dest_url)) as JsonFile;
      assert.ok(file.events.length >= 3);
      assert.ok(file.events.every((e) => e.envelope.event["tenant_id"] === "acme"));
      await verifyJson(JSON.stringify(file));
      // The other tenants' events leave gaps: the file says it is a selection, so a verifier checks
      // each record and reports the range unchecked ("none") instead of failing it.
      const selected = file as unknown as VerifiableFile;
      assert.equal(selected.selection, "matches");
      const indices = selected.events.map((e) => e.leaf_index!);
      assert.ok(
        indices.some((leaf, i) => i > 0 && leaf !== indices[i - 1]! + 1),
        "acme's leaves are not adjacent",
      );
      const report = verifyFile(selected, { open: noteOpener() });
      assert.equal(report.ok, true, JSON.stringify(report.failures));
      assert.equal(report.contiguity.status, "none");
      // Not another token's to download, even one that may read more.
      assertUnauthorized(await api("/v1/download_results", { request_id: id }, server.auditToken));
      assertUnauthorized(await api("/v1/download_results", { request_id: id }, other.token));
      // Once the token reads something else, the export made under the old restriction is closed.
      await updateToken(server, acme.id, {
        grants: {
          audit: {
            configs: [server.configId],
            field_restrictions: { [server.configId]: { tenant_id: ["acme", "globex"] } },
          },
        },
      });
      try {
        assertUnauthorized(await api("/v1/download_results", { request_id: id }, acme.token));
        await assertRefused(link.dest_url, 403, "Unauthorized");
      } finally {
        await updateToken(server, acme.id, {
          grants: {
            audit: {
              configs: [server.configId],
              field_restrictions: { [server.configId]: { tenant_id: ["acme"] } },
            },
          },
        });
      }
      await download(link.dest_url);
    });

    it("keeps the format it was made in", async () => {
      const id = await exported({ start: "1d", verbose: false });
      assertValidationError(await api("/v1/download_results", { request_id: id, format: "json" }), [
        { code: "BadState", source: "/format" },
      ]);
      const [header] = parseCsv(await download((await linkFor({ request_id: id, format: "csv" })).dest_url));
      assert.equal(header![0], "received_at");
    });

    it("without verbose carries no proofs", async () => {
      const id = await exported({ start: "1d", format: "json", verbose: false });
      const file = JSON.parse(await download((await linkFor({ request_id: id })).dest_url)) as JsonFile;
      assert.equal(file.unpublished_root, undefined);
      assert.ok(file.events.length > 0);
      for (const event of file.events) {
        assert.deepEqual(Object.keys(event).sort(), ["envelope", "hash", "leaf_index"]);
        assert.equal(sha256Hex(canonicalEnvelope(event.envelope)), event.hash);
      }
    });

    it("refuses bad fields, and a download before it is finished or of what is no export", async () => {
      assertValidationError(
        await api("/v1/export", { format: "xml", order: "up", start: "yesterday", query: "x" }),
        [
          { code: "UnexpectedProperty", source: "/query" },
          { code: "NotEnumMember", source: "/format" },
          { code: "BadFormatDateTime", source: "/start" },
          { code: "NotEnumMember", source: "/order" },
        ],
      );
      // A log_async request of the same token is no export.
      const accepted = await api("/v2/log_async", { events: [{ event: { message: `${tag} async` } }] });
      assert.equal(accepted.status, 202);
      const notExport = await api("/v1/download_results", { request_id: accepted.body.request_id });
      assert.equal(notExport.body.status, "NotFound");
      const unknown = await api("/v1/download_results", { request_id: `prq_${"a".repeat(32)}` });
      assert.equal(unknown.body.status, "NotFound");
    });

    it("of more than one batch of events streams them all, restricted or not", async () => {
      const big = await createConfig(server, { name: "big" });
      const writer = await createToken(server, { audit: { configs: [big.id] } });
      const reader = await createToken(server, {
        audit: { configs: [big.id], field_restrictions: { [big.id]: { tenant_id: ["t0"] } } },
      });
      const hashes: string[] = [];
      for (let part = 0; part < 3; part++) {
        const events = Array.from({ length: 900 }, (_, i) => ({
          event: { message: `big ${part * 900 + i}`, tenant_id: `t${(part * 900 + i) % 3}` },
        }));
        const logged = successResult<{ results: { hash: string }[] }>(
          await api("/v2/log", { config_id: big.id, events }, writer.token),
        );
        hashes.push(...logged.results.map((r) => r.hash));
      }
      const all = await exported({ config_id: big.id, order: "desc" }, writer.token);
      const [, ...rows] = parseCsv(
        await download((await linkFor({ request_id: all }, writer.token)).dest_url),
      );
      assert.deepEqual(
        rows.map((r) => r.at(-1)),
        [...hashes].reverse(),
      );
      const some = await exported({ config_id: big.id, format: "json" }, reader.token);
      const file = JSON.parse(
        await download((await linkFor({ request_id: some }, reader.token)).dest_url),
      ) as JsonFile;
      assert.deepEqual(
        file.events.map((e) => e.hash),
        hashes.filter((_, i) => i % 3 === 0),
      );
    });
  });

  describe("through the official Node SDK", () => {
    let audit: AuditService;

    before(() => {
      audit = new AuditService(
        server.auditToken,
        new PangeaConfig({ baseUrlTemplate: server.url, requestRetries: 0 }),
      );
    });

    it("exports, polls, and downloads the file with downloadResults and downloadFile", async () => {
      const accepted = await audit.export({ start: "1d", end: "0d", verbose: false });
      assert.equal(accepted.status, "Accepted");
      assert.match(accepted.request_id, /^prq_/);
      let done = false;
      for (let i = 0; i < 200 && !done; i++) {
        try {
          const polled = await audit.pollResult(accepted.request_id);
          assert.equal(polled.status, "Success");
          done = true;
        } catch (error) {
          assert.ok(error instanceof PangeaErrors.AcceptedRequestException, String(error));
          await sleep(20);
        }
      }
      assert.ok(done, "the export finished");
      const link = await audit.downloadResults({ request_id: accepted.request_id });
      assert.equal(link.status, "Success");
      const file = await audit.downloadFile(new URL(link.result.dest_url));
      assert.equal(file.filename, `${accepted.request_id}.csv.gz`);
      const [header, ...rows] = parseCsv(gunzipSync(Buffer.from(file.file)).toString("utf8"));
      assert.equal(header![0], "received_at");
      assert.ok(rows.some((r) => r.at(-1) === late[0]));
    });

    it("searches and downloads the results as JSON", async () => {
      const search = await audit.search(`message:${tag}`, { start: "1d" }, {});
      assert.equal(search.status, "Success");
      const link = await audit.downloadResults({
        result_id: search.result.id,
        format: Audit.DownloadFormat.JSON,
      });
      assert.ok(link.result.dest_url);
      const file = await audit.downloadFile(new URL(link.result.dest_url));
      assert.equal(file.filename, `${search.result.id}.json.gz`);
      const hashes = await verifyJson(gunzipSync(Buffer.from(file.file)).toString("utf8"));
      assert.equal(hashes.length, search.result.count);
    });
  });
});

describe("postgres: an export on one process, its download on another", {
  skip: TEST_DATABASE_URL ? false : POSTGRES_SKIP_REASON,
}, () => {
  it("serves the file and checks the link on any process of the cluster", async () => {
    const schema = freshSchema();
    const stores = [openSharedPostgresStore(schema), openSharedPostgresStore(schema)];
    const services: Service[] = [];
    try {
      await stores[0]!.migrate();
      await stores[1]!.migrate();
      const { bootstrap } = await import("../src/bootstrap.js");
      const { loadConfig } = await import("../src/config.js");
      const { TEST_ADMIN_TOKEN, TEST_AUDIT_TOKEN } = await import("./support/test-server.js");
      const urls: string[] = [];
      for (const store of stores) {
        const port = await freePort();
        const config = loadConfig({
          VERITRAIL_HOST: "127.0.0.1",
          VERITRAIL_PORT: String(port),
          VERITRAIL_LOG_LEVEL: "silent",
          VERITRAIL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
          VERITRAIL_INIT_AUDIT_TOKEN: TEST_AUDIT_TOKEN,
          VERITRAIL_AUTH_CACHE_MS: "0",
          VERITRAIL_ASYNC_POLL_MS: "50",
        });
        await bootstrap(store, config, () => new Date().toISOString());
        const service = createService({ config, store });
        await service.app.listen({ host: config.host, port: config.port });
        services.push(service);
        urls.push(config.publicUrl);
      }
      const [a, b] = urls as [string, string];
      const logged = await postJson(
        `${a}/v2/log`,
        { events: [{ event: { message: "clustered" } }] },
        TEST_AUDIT_TOKEN,
      );
      assert.equal(logged.body.status, "Success");
      const accepted = await postJson(`${a}/v1/export`, { format: "json" }, TEST_AUDIT_TOKEN);
      assert.equal(accepted.status, 202);
      const id = accepted.body.request_id as string;
      for (let i = 0; i < 400; i++) {
        const polled = await fetch(`${b}/request/${id}`, {
          headers: { authorization: `Bearer ${TEST_AUDIT_TOKEN}` },
        });
        if (polled.status === 200) break;
        await sleep(10);
      }
      const link = successResult<Link>(
        await postJson(`${a}/v1/download_results`, { request_id: id }, TEST_AUDIT_TOKEN),
      );
      // Made by the first process, opened on the second: the key and the file are in the database.
      const onB = link.dest_url.replace(a, b);
      const file = JSON.parse(await download(onB)) as JsonFile;
      assert.equal(file.count, 1);
      assert.equal(file.events[0]!.envelope.event["message"], "clustered");
    } finally {
      for (const service of services) await service.close().catch(() => undefined);
      await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
      await dropSchema(schema);
    }
  });
});
