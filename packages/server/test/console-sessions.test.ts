// Console sessions at the HTTP level (docs/design/console-sessions.md): the cookie's flags, the
// CSRF token on every state-changing request, what an admin and an audit-token session reach,
// expiry, revocation and sign-out ending the session on the server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createConfig, createToken, successResult } from "./support/admin.js";
import { type ApiResponse, assertUnauthorized, fetchApi } from "./support/api-assertions.js";
import { FakeClock } from "./support/fake-clock.js";
import { postJson, startTestServer, type TestServer } from "./support/test-server.js";

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
  result: Record<string, unknown>;
}

async function signIn(
  server: TestServer,
  token: string,
  headers: Record<string, string> = {},
): Promise<Session> {
  const response = await fetchApi(`${server.url}/v1/session/create`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ token }),
  });
  const result = successResult<Record<string, unknown>>(response);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0]!;
  return { cookie, csrf: String(result["csrf_token"]), setCookie, result };
}

/** A POST carrying the session cookie and, unless `csrf` is undefined, that CSRF token. */
function sessionPost(
  server: TestServer,
  path: string,
  session: Session,
  csrf: string | undefined,
  body = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json", cookie: session.cookie };
  if (csrf !== undefined) headers["x-csrf-token"] = csrf;
  return fetchApi(`${server.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
}

function sessionGet(server: TestServer, path: string, session: Session): Promise<ApiResponse> {
  return fetchApi(`${server.url}${path}`, { headers: { cookie: session.cookie } });
}

describe("console sessions", () => {
  const clock = new FakeClock();
  let server: TestServer;
  before(async () => {
    server = await startTestServer({}, { clock });
  });
  after(() => server.close());

  it("signs in with the admin credential: an HttpOnly, SameSite=Strict cookie with an expiry, not Secure on HTTP", async () => {
    const session = await signIn(server, server.adminToken);
    assert.match(session.cookie, /^veritrail_session=[a-z2-7]{52}$/);
    const flags = session.setCookie.split(/;\s*/).slice(1);
    assert.ok(flags.includes("HttpOnly"), session.setCookie);
    assert.ok(flags.includes("SameSite=Strict"), session.setCookie);
    assert.ok(flags.includes("Path=/"), session.setCookie);
    assert.ok(flags.includes("Max-Age=28800"), session.setCookie);
    assert.ok(!flags.includes("Secure"), session.setCookie);
    assert.equal(session.result["kind"], "admin");
    assert.equal(Date.parse(String(session.result["expires_at"])), clock.nowMillis() + 8 * 3600_000);
    // The secret of the cookie is nowhere in the answer's body, nor the credential.
    const text = JSON.stringify(session.result);
    assert.ok(!text.includes(session.cookie.split("=")[1]!));
    assert.ok(!text.includes(server.adminToken));
    assert.match(session.csrf, /^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a wrong credential or a sign-in posted from another site, and sets no cookie", async () => {
    for (const [token, headers] of [
      ["pts_notatoken00000000000000000000000000000", {}],
      [server.adminToken, { origin: "https://evil.example" }],
    ] as const) {
      const response = await fetchApi(`${server.url}/v1/session/create`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ token }),
      });
      assertUnauthorized(response);
      assert.equal(response.headers.get("set-cookie"), null);
    }
    const missing = await postJson(`${server.url}/v1/session/create`, {}, undefined);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.status, "ValidationError");
    assert.equal(missing.body.result.errors[0].source, "/token");
  });

  it("requires the session's CSRF token on every state-changing request, and not on reads", async () => {
    const session = await signIn(server, server.adminToken);
    assertUnauthorized(await sessionPost(server, "/v1beta/config/list", session, undefined));
    assertUnauthorized(await sessionPost(server, "/v1beta/config/list", session, "wrong"));
    const other = await signIn(server, server.adminToken);
    assertUnauthorized(await sessionPost(server, "/v1beta/config/list", session, other.csrf));
    // A state-changing request without the token changes nothing.
    assertUnauthorized(
      await sessionPost(server, "/v1beta/config/create", session, undefined, { name: "csrf" }),
    );
    const listed = successResult(await sessionPost(server, "/v1beta/config/list", session, session.csrf));
    assert.ok(!JSON.stringify(listed).includes('"csrf"'));
    const read = successResult<Record<string, unknown>>(await sessionGet(server, "/v1/session", session));
    assert.equal(read["csrf_token"], session.csrf);
  });

  it("gives an admin session the data plane's reads and none of its writes", async () => {
    const session = await signIn(server, server.adminToken);
    const body = { config_id: server.configId };
    successResult(await sessionPost(server, "/v1/schema", session, session.csrf, body));
    successResult(await sessionPost(server, "/v1/search", session, session.csrf, { ...body, query: "" }));
    assertUnauthorized(
      await sessionPost(server, "/v1/log", session, session.csrf, { ...body, event: { message: "no" } }),
    );
    // An admin credential as a bearer still never reaches the data plane.
    assertUnauthorized(await postJson(`${server.url}/v1/schema`, body, server.adminToken));
  });

  it("limits an audit-token session to what that token grants", async () => {
    const other = await createConfig(server, { name: "not granted" });
    const token = await createToken(server, {
      audit: {
        configs: [server.configId],
        endpoints: ["v1/search", "v1/results", "v1/schema"],
        field_restrictions: { [server.configId]: { actor: ["acme"] } },
      },
    });
    const session = await signIn(server, token.token);
    assert.equal(session.result["kind"], "service");
    assert.deepEqual(session.result["configs"], [{ id: server.configId, name: "Default audit log" }]);
    successResult(await sessionPost(server, "/v1/schema", session, session.csrf));
    assertUnauthorized(
      await sessionPost(server, "/v1/schema", session, session.csrf, { config_id: other.id }),
    );
    assertUnauthorized(await sessionPost(server, "/v1/root", session, session.csrf));
    assertUnauthorized(await sessionPost(server, "/v1beta/config/list", session, session.csrf));
    assertUnauthorized(await sessionPost(server, "/v1/admin/token/list", session, session.csrf));
  });

  it("ends the session on the server at sign-out: the old cookie no longer works", async () => {
    const session = await signIn(server, server.adminToken);
    assertUnauthorized(await sessionPost(server, "/v1/session/end", session, undefined));
    const ended = await sessionPost(server, "/v1/session/end", session, session.csrf);
    successResult(ended);
    assert.match(
      ended.headers.get("set-cookie") ?? "",
      /^veritrail_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/,
    );
    assertUnauthorized(await sessionGet(server, "/v1/session", session));
    assertUnauthorized(await sessionPost(server, "/v1beta/config/list", session, session.csrf));
  });

  it("stops a session when it expires, when its token is revoked, and when the secret it signed in with is rotated away", async () => {
    const expiring = await signIn(server, server.adminToken);
    clock.advance(8 * 3600_000 - 1);
    successResult(await sessionGet(server, "/v1/session", expiring));
    clock.advance(1);
    assertUnauthorized(await sessionGet(server, "/v1/session", expiring));

    const token = await createToken(server, { audit: { configs: [server.configId] } });
    const revoked = await signIn(server, token.token);
    successResult(await sessionPost(server, "/v1/schema", revoked, revoked.csrf));
    successResult(await postJson(`${server.url}/v1/admin/token/revoke`, { id: token.id }, server.adminToken));
    assertUnauthorized(await sessionPost(server, "/v1/schema", revoked, revoked.csrf));

    const rotating = await createToken(server, { audit: { configs: [server.configId] } });
    const rotated = await signIn(server, rotating.token);
    successResult(
      await postJson(
        `${server.url}/v1/admin/token/rotate`,
        { id: rotating.id, grace_period: "1h" },
        server.adminToken,
      ),
    );
    successResult(await sessionPost(server, "/v1/schema", rotated, rotated.csrf));
    clock.advance(3600_000);
    assertUnauthorized(await sessionPost(server, "/v1/schema", rotated, rotated.csrf));
  });

  it("answers a bearer request by its header whatever cookie it carries", async () => {
    const session = await signIn(server, server.adminToken);
    const response = await fetchApi(`${server.url}/v1/schema`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: session.cookie,
        "x-csrf-token": session.csrf,
        authorization: `Bearer ${server.auditToken}`,
      },
      body: "{}",
    });
    successResult(response);
    const noCookie = await fetchApi(`${server.url}/v1/session`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    assertUnauthorized(noCookie);
  });
});

describe("console sessions behind HTTPS", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ VERITRAIL_PUBLIC_URL: "https://audit.example" });
  });
  after(() => server.close());

  it("marks the cookie Secure when the public URL is HTTPS", async () => {
    const response = await fetchApi(`http://${server.config.host}:${server.config.port}/v1/session/create`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: server.adminToken }),
    });
    successResult(response);
    assert.ok((response.headers.get("set-cookie") ?? "").split(/;\s*/).includes("Secure"));
  });
});
