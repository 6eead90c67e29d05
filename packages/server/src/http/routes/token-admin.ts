import { isId, newTokenSecret } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { readExpiry, readGracePeriod, readGrants, renderToken } from "../../admin/token-document.js";
import { hashSecret } from "../../auth/authenticator.js";
import { newToken } from "../../auth/tokens.js";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import type { Services } from "../../services.js";
import type { TokenRecord } from "../../store/contract/store.js";
import { sendEnvelope } from "../envelope.js";
import { authenticatedAdmin, nextTimestamp, notFound } from "./admin-context.js";

/** How long a rotated-out secret keeps working when the request names no grace period. */
const DEFAULT_GRACE_SECONDS = 24 * 3600;

/**
 * Service tokens of the admin credential's project (`v1/admin/token/…`). Every change is a
 * read-modify-write guarded by `updated_at`, retried on a concurrent change, so two extends at
 * once both land.
 */
export function registerTokenRoutes(app: FastifyInstance, services: Services): void {
  const { store, clock, authenticator } = services;

  async function load(projectId: string, body: BodyReader): Promise<TokenRecord> {
    const id = body.string("id", { max: 64 });
    if (!body.has("id")) body.errors.push({ code: "FieldRequired", detail: "id is required", source: "/id" });
    body.throwIfInvalid();
    const token = isId("ptk", id) ? await store.tokens.getToken(id!) : undefined;
    if (!token || token.projectId !== projectId || token.kind !== "service") throw notFound("token", id);
    return token;
  }

  /** Applies `change` to the stored token, retrying when another change landed in between. */
  async function modify(token: TokenRecord, change: (t: TokenRecord) => TokenRecord): Promise<TokenRecord> {
    let current = token;
    for (let attempt = 0; attempt < 5; attempt++) {
      const next = { ...change(current), updatedAt: nextTimestamp(current.updatedAt, clock.nowMillis()) };
      if (await store.tokens.updateToken(next, current.updatedAt)) {
        authenticator.invalidate();
        return next;
      }
      const reread = await store.tokens.getToken(token.id);
      if (!reread) throw notFound("token", token.id);
      current = reread;
    }
    throw new ApiError("Conflict", "The token kept changing; retry the request");
  }

  app.post("/v1/admin/token/create", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["name", "expires_at", "grants"]);
    const name = body.string("name", { max: 128, pattern: /\S/, patternText: "a non-empty name" });
    if (!body.has("name"))
      body.errors.push({ code: "FieldRequired", detail: "name is required", source: "/name" });
    const expiresAt = readExpiry(body, clock.nowMillis());
    if (!body.has("grants"))
      body.errors.push({ code: "FieldRequired", detail: "grants is required", source: "/grants" });
    const grants = body.has("grants")
      ? readGrants(
          body.raw("grants"),
          "/grants",
          await store.configs.listConfigs(admin.projectId),
          body.errors,
        )
      : undefined;
    body.throwIfInvalid();
    const { record, secret } = newToken({
      projectId: admin.projectId,
      name: name!,
      kind: "service",
      grants: grants!,
      now: new Date(clock.nowMillis()).toISOString(),
      ...(expiresAt ? { expiresAt } : {}),
    });
    await store.tokens.createToken(record);
    const view = renderToken(record);
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Created token ${record.id}; the secret is shown only now`,
      {
        id: record.id,
        token: secret,
        name: view["name"],
        expires_at: view["expires_at"],
        grants: view["grants"],
        created_at: view["created_at"],
      },
    );
  });

  app.post("/v1/admin/token/get", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const token = await load(admin.projectId, new BodyReader(request.body, "", ["id"]));
    return sendEnvelope(request, reply, "Success", "Token", renderToken(token));
  });

  app.post("/v1/admin/token/list", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    new BodyReader(request.body ?? {}, "", []).throwIfInvalid();
    const items = (await store.tokens.listTokens(admin.projectId))
      .filter((t) => t.kind === "service")
      .map(renderToken);
    return sendEnvelope(request, reply, "Success", `${items.length} token(s)`, {
      count: items.length,
      items,
    });
  });

  app.post("/v1/admin/token/update", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id", "name", "expires_at", "grants"]);
    const name = body.string("name", { max: 128, pattern: /\S/, patternText: "a non-empty name" });
    const expiresAt = readExpiry(body, clock.nowMillis());
    const grants = body.has("grants")
      ? readGrants(
          body.raw("grants"),
          "/grants",
          await store.configs.listConfigs(admin.projectId),
          body.errors,
        )
      : undefined;
    const token = await load(admin.projectId, body);
    const updated = await modify(token, (t) => ({
      ...t,
      name: name ?? t.name,
      expiresAt: expiresAt === null ? undefined : (expiresAt ?? t.expiresAt),
      grants: grants ?? t.grants,
    }));
    return sendEnvelope(request, reply, "Success", `Updated token ${token.id}`, renderToken(updated));
  });

  app.post("/v1/admin/token/extend", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id", "service", "config_id"]);
    body.string("service", { max: 32, pattern: /^audit$/, patternText: "audit" });
    if (!body.has("service")) {
      body.errors.push({ code: "FieldRequired", detail: "service is required", source: "/service" });
    }
    const configId = body.string("config_id", { max: 64 });
    if (!body.has("config_id"))
      body.errors.push({ code: "FieldRequired", detail: "config_id is required", source: "/config_id" });
    const config = configId === undefined ? undefined : await store.configs.getConfig(configId);
    if (configId !== undefined && (!config || config.projectId !== admin.projectId)) {
      body.errors.push({
        code: "ConfigNotExist",
        detail: "no configuration of this project has this id",
        source: "/config_id",
      });
    }
    const token = await load(admin.projectId, body);
    const updated = await modify(token, (t) => {
      const audit = t.grants.audit ?? { configs: [] };
      if (audit.configs === "all" || audit.configs.includes(configId!)) return t;
      return { ...t, grants: { ...t.grants, audit: { ...audit, configs: [...audit.configs, configId!] } } };
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Token ${token.id} now reaches ${configId}`,
      renderToken(updated),
    );
  });

  app.post("/v1/admin/token/rotate", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id", "grace_period"]);
    const grace = readGracePeriod(body) ?? DEFAULT_GRACE_SECONDS;
    const token = await load(admin.projectId, body);
    if (token.revokedAt !== undefined) {
      throw ApiError.validation([
        { code: "BadState", detail: "a revoked token cannot be rotated", source: "/id" },
      ]);
    }
    const secret = newTokenSecret();
    const updated = await modify(token, (t) => ({
      ...t,
      secretHash: hashSecret(secret),
      previousSecretHash: t.secretHash,
      previousValidUntil: new Date(clock.nowMillis() + grace * 1000).toISOString(),
    }));
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Rotated token ${token.id}; the new secret is shown only now`,
      {
        ...renderToken(updated),
        token: secret,
      },
    );
  });

  app.post("/v1/admin/token/revoke", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const token = await load(admin.projectId, new BodyReader(request.body, "", ["id"]));
    const updated = await modify(token, (t) => ({
      ...t,
      revokedAt: t.revokedAt ?? new Date(clock.nowMillis()).toISOString(),
    }));
    return sendEnvelope(request, reply, "Success", `Revoked token ${token.id}`, renderToken(updated));
  });
}
