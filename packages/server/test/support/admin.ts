import assert from "node:assert/strict";
import { type ApiResponse, assertEnvelope } from "./api-assertions.js";
import { postJson, type TestServer } from "./test-server.js";

/*
 * The admin API as tests drive it: configurations (`v1beta/config…`) and service tokens
 * (`v1/admin/token/…`), always with the harness's admin credential.
 */

/** A configuration as the admin API answers it. */
export interface ConfigView {
  id: string;
  name: string;
  version: number;
  created_at: string;
  updated_at: string;
  tree_name: string;
  schema: { fields: Record<string, unknown>[]; save_malformed: string };
  hot_storage: string;
  warm_storage?: string;
  cold_storage?: string;
  vault_sign: boolean;
  vault_key_id?: string;
  redaction?: { enabled: boolean; mask: string; rules?: unknown[]; signed_events?: string };
  [key: string]: unknown;
}

/** The answer to token create: the only time the secret is shown (with rotate). */
export interface CreatedToken {
  id: string;
  token: string;
  name: string;
  expires_at: string | null;
  grants: Record<string, unknown>;
  created_at: string;
}

/** POSTs to an admin endpoint with the admin credential. */
export function adminPost(server: TestServer, path: string, body: unknown): Promise<ApiResponse> {
  return postJson(`${server.url}${path}`, body, server.adminToken);
}

/** Checks an answer is `Success` with HTTP 200 and returns its result. */
export function successResult<T = ApiResponse["body"]["result"]>(response: ApiResponse): T {
  assertEnvelope(response);
  assert.equal(response.body.status, "Success", JSON.stringify(response.body));
  assert.equal(response.status, 200);
  return response.body.result as T;
}

/** Creates a configuration (a name is supplied when `body` has none). */
export async function createConfig(
  server: TestServer,
  body: Record<string, unknown> = {},
): Promise<ConfigView> {
  const response = await adminPost(server, "/v1beta/config/create", { name: "test config", ...body });
  return successResult<ConfigView>(response);
}

/** Creates a service token with these grants (`audit` only, or the whole grants object). */
export async function createToken(
  server: TestServer,
  grants: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<CreatedToken> {
  const response = await adminPost(server, "/v1/admin/token/create", {
    name: "test token",
    grants,
    ...extra,
  });
  return successResult<CreatedToken>(response);
}

/** A token granted exactly one configuration, on every endpoint. */
export function createTokenFor(server: TestServer, configId: string): Promise<CreatedToken> {
  return createToken(server, { audit: { configs: [configId] } });
}
