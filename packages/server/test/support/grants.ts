import assert from "node:assert/strict";
import { newId } from "@veritrail/core";
import { adminPost, type ConfigView, successResult } from "./admin.js";
import { type ApiResponse, assertEnvelope } from "./api-assertions.js";
import { postJson, type TestServer } from "./test-server.js";

/*
 * Token life cycle through the admin API (list, extend, rotate, revoke, update) and the reads the
 * authorisation tests make around it: tree sizes per configuration, and bounded waits.
 */

/** A token as `v1/admin/token/get|list|update|…` render it (never with its secret). */
export interface TokenView {
  id: string;
  name: string;
  expires_at: string | null;
  grants: { audit?: { configs: string[] | "all"; endpoints?: string[]; field_restrictions?: unknown } };
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
  previous_secret_valid_until: string | null;
}

/** The id of the project's one service token with this name (the bootstrap names its audit token). */
export async function tokenIdByName(server: TestServer, name: string): Promise<string> {
  const { items } = successResult<{ items: TokenView[] }>(
    await adminPost(server, "/v1/admin/token/list", {}),
  );
  const found = items.filter((item) => item.name === name);
  assert.equal(found.length, 1, `exactly one token is named ${name}: ${JSON.stringify(items)}`);
  return found[0]!.id;
}

/** Adds a configuration to a token's audit grant. */
export async function extendToken(server: TestServer, id: string, configId: string): Promise<TokenView> {
  return successResult(
    await adminPost(server, "/v1/admin/token/extend", { id, service: "audit", config_id: configId }),
  );
}

/** Gives a token a new secret; the old one keeps working for `gracePeriod` (a duration such as 1h). */
export async function rotateToken(
  server: TestServer,
  id: string,
  gracePeriod: string,
): Promise<TokenView & { token: string }> {
  return successResult(await adminPost(server, "/v1/admin/token/rotate", { id, grace_period: gracePeriod }));
}

export async function revokeToken(server: TestServer, id: string): Promise<TokenView> {
  return successResult(await adminPost(server, "/v1/admin/token/revoke", { id }));
}

/** Changes a token's name, expiry or grants. */
export async function updateToken(
  server: TestServer,
  id: string,
  changes: Record<string, unknown>,
): Promise<TokenView> {
  return successResult(await adminPost(server, "/v1/admin/token/update", { id, ...changes }));
}

/** A configuration as `v1beta/config` answers it (for its `tree_name` and `vault_key_id`). */
export async function getConfig(server: TestServer, id: string): Promise<ConfigView> {
  return successResult(await adminPost(server, "/v1beta/config", { id }));
}

/** A well-formed configuration id (`pci_` + 32 of a-z2-7) that no configuration has. */
export function unknownConfigId(): string {
  return newId("pci");
}

/**
 * The size of a configuration's tree per `v1/root`, read with a token that covers it: 0 when the
 * tree is still empty (`TreeNotFound`).
 */
export async function treeSizeOf(server: TestServer, token: string, configId: string): Promise<number> {
  const response = await postJson(`${server.url}/v1/root`, { config_id: configId }, token);
  assertEnvelope(response);
  if (response.body.status === "TreeNotFound") {
    assert.equal(response.status, 404);
    return 0;
  }
  assert.equal(response.body.status, "Success", `v1/root of ${configId}: ${JSON.stringify(response.body)}`);
  return response.body.result.data.size as number;
}

/** Polls `check` every 25 ms until it holds, failing with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** GETs `request/{id}` with a token, as the SDKs poll (wire-protocol §3.3). */
export async function pollRequest(
  server: TestServer,
  requestId: string,
  token: string,
): Promise<ApiResponse> {
  const response = await fetch(`${server.url}/request/${requestId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as ApiResponse["body"],
  };
}

/** Polls an accepted request with the token that made it until it is no longer pending. */
export async function pollUntilDone(
  server: TestServer,
  requestId: string,
  token: string,
): Promise<ApiResponse> {
  let last: ApiResponse | undefined;
  await waitFor(`request ${requestId} to finish`, async () => {
    last = await pollRequest(server, requestId, token);
    return last.status !== 202;
  });
  return last!;
}
