import { isId, newTokenSecret } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import {
  ADMIN_GRANTS_ERROR,
  readExpiry,
  readGracePeriod,
  readGrants,
  readKind,
  renderToken,
} from "../../admin/token-document.js";
import { hashSecret } from "../../auth/authenticator.js";
import { anotherAdminWorksAt, newToken, worksAt } from "../../auth/tokens.js";
import { isoAt, nextTimestamp, nowIso } from "../../clock.js";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import {
  DEFAULT_GRACE_SECONDS,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_SERVICE_NAME_LENGTH,
} from "../../limits.js";
import type { Services } from "../../services.js";
import type { TokenRecord } from "../../store/contract/store.js";
import { sendEnvelope } from "../envelope.js";
import { authenticatedAdmin, changedMembers, notFound, recordAction } from "./admin-context.js";

/**
 * The tokens of the admin credential's project (`v1/admin/token/…`): service tokens and admin
 * credentials alike, told apart by `kind`. Every change is a read-modify-write guarded by
 * `updated_at`, retried on a concurrent change, so two extends at once both land. A change that
 * would leave the project without a working admin credential is refused (`lastAdminRefused`).
 */
export function registerTokenRoutes(app: FastifyInstance, services: Services): void {
  const { store, clock, authenticator } = services;

  /** Reads `id` and finds the project's token, recording problems without throwing. */
  async function find(projectId: string, body: BodyReader): Promise<TokenRecord | undefined> {
    const id = body.string("id", { max: MAX_ID_LENGTH });
    if (!body.has("id")) body.errors.push({ code: "FieldRequired", detail: "id is required", source: "/id" });
    const token = isId("ptk", id) ? await store.tokens.getToken(id!) : undefined;
    return token?.projectId === projectId ? token : undefined;
  }

  /** The token `find` found, once every problem of the body has been answered. */
  function found(token: TokenRecord | undefined, body: BodyReader): TokenRecord {
    body.throwIfInvalid();
    if (!token) throw notFound("token", body.raw("id"));
    return token;
  }

  async function load(projectId: string, body: BodyReader): Promise<TokenRecord> {
    return found(await find(projectId, body), body);
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

  /**
   * Applies `change`, which makes admin credential `token` stop working at `stopsAt` (now, for a
   * revocation), only if another admin credential of the project still works then. Two such
   * changes at once could each see the other's credential working and together leave none, so
   * the check is made again after writing, and a change that lost that race is undone.
   */
  async function modifyAdmin(
    token: TokenRecord,
    stopsAt: number,
    pointer: string,
    change: (t: TokenRecord) => TokenRecord,
  ): Promise<TokenRecord> {
    const othersWork = async () =>
      anotherAdminWorksAt(await store.tokens.listTokens(token.projectId), token.id, stopsAt);
    if (!(await othersWork())) throw lastAdminRefused(token.id, pointer);
    const updated = await modify(token, change);
    if (await othersWork()) return updated;
    await modify(updated, (t) => ({
      ...t,
      name: token.name,
      expiresAt: token.expiresAt,
      revokedAt: token.revokedAt,
    }));
    throw lastAdminRefused(token.id, pointer);
  }

  app.post("/v1/admin/token/create", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["kind", "name", "expires_at", "grants"]);
    const kind = readKind(body);
    const name = body.string("name", {
      max: MAX_NAME_LENGTH,
      pattern: /\S/,
      patternText: "a non-empty name",
    });
    if (!body.has("name"))
      body.errors.push({ code: "FieldRequired", detail: "name is required", source: "/name" });
    const expiresAt = readExpiry(body, clock.nowMillis());
    let grants: TokenRecord["grants"] | undefined = {};
    if (kind === "admin") {
      if (body.has("grants")) body.errors.push({ ...ADMIN_GRANTS_ERROR });
    } else if (kind === "service") {
      if (!body.has("grants"))
        body.errors.push({ code: "FieldRequired", detail: "grants is required", source: "/grants" });
      grants = body.has("grants")
        ? readGrants(
            body.raw("grants"),
            "/grants",
            await store.configs.listConfigs(admin.projectId),
            body.errors,
          )
        : undefined;
    }
    body.throwIfInvalid();
    const { record, secret } = newToken({
      projectId: admin.projectId,
      name: name!,
      kind: kind!,
      grants: grants!,
      now: nowIso(clock),
      ...(expiresAt ? { expiresAt } : {}),
    });
    await store.tokens.createToken(record);
    const view = renderToken(record, clock.nowMillis());
    const what = kind === "admin" ? "admin credential" : "token";
    await recordAction(services, request, admin, {
      action: "token.create",
      target: record.id,
      summary: `Created ${what} ${record.id} (${record.name})`,
      new: activityView(record),
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Created ${what} ${record.id}; the secret is shown only now`,
      {
        id: record.id,
        token: secret,
        kind: view["kind"],
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
    return sendEnvelope(request, reply, "Success", "Token", renderToken(token, clock.nowMillis()));
  });

  app.post("/v1/admin/token/list", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    new BodyReader(request.body ?? {}, "", []).throwIfInvalid();
    const now = clock.nowMillis();
    const items = (await store.tokens.listTokens(admin.projectId)).map((t) => renderToken(t, now));
    return sendEnvelope(request, reply, "Success", `${items.length} token(s)`, {
      count: items.length,
      items,
    });
  });

  app.post("/v1/admin/token/update", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id", "name", "expires_at", "grants"]);
    const name = body.string("name", {
      max: MAX_NAME_LENGTH,
      pattern: /\S/,
      patternText: "a non-empty name",
    });
    const expiresAt = readExpiry(body, clock.nowMillis());
    const target = await find(admin.projectId, body);
    let grants: TokenRecord["grants"] | undefined;
    if (body.has("grants") && target?.kind === "admin") {
      body.errors.push({ ...ADMIN_GRANTS_ERROR });
    } else if (body.has("grants")) {
      grants = readGrants(
        body.raw("grants"),
        "/grants",
        await store.configs.listConfigs(admin.projectId),
        body.errors,
      );
    }
    const token = found(target, body);
    const change = (t: TokenRecord): TokenRecord => ({
      ...t,
      name: name ?? t.name,
      expiresAt: expiresAt === null ? undefined : (expiresAt ?? t.expiresAt),
      grants: grants ?? t.grants,
    });
    // An admin credential given an earlier end than it had must not be the last one working then.
    const now = clock.nowMillis();
    const stopsAt = typeof expiresAt === "string" ? Date.parse(expiresAt) : undefined;
    const shortened =
      token.kind === "admin" &&
      worksAt(token, now) &&
      stopsAt !== undefined &&
      (token.expiresAt === undefined || stopsAt < Date.parse(token.expiresAt));
    const updated = shortened
      ? await modifyAdmin(token, stopsAt, "/expires_at", change)
      : await modify(token, change);
    await recordAction(services, request, admin, {
      action: "token.update",
      target: token.id,
      summary: `Updated ${kindName(token)} ${token.id} (${updated.name})`,
      ...changedMembers(activityView(token), activityView(updated)),
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Updated token ${token.id}`,
      renderToken(updated, clock.nowMillis()),
    );
  });

  app.post("/v1/admin/token/extend", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id", "service", "config_id"]);
    body.string("service", { max: MAX_SERVICE_NAME_LENGTH, pattern: /^audit$/, patternText: "audit" });
    if (!body.has("service")) {
      body.errors.push({ code: "FieldRequired", detail: "service is required", source: "/service" });
    }
    const configId = body.string("config_id", { max: MAX_ID_LENGTH });
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
    const target = await find(admin.projectId, body);
    if (target?.kind === "admin") {
      body.errors.push({
        code: "BadState",
        detail: "an admin credential has no grants to extend: it manages the whole project",
        source: "/id",
      });
    }
    const token = found(target, body);
    const updated = await modify(token, (t) => {
      const audit = t.grants.audit ?? { configs: [] };
      if (audit.configs === "all" || audit.configs.includes(configId!)) return t;
      return { ...t, grants: { ...t.grants, audit: { ...audit, configs: [...audit.configs, configId!] } } };
    });
    await recordAction(services, request, admin, {
      action: "token.extend",
      target: token.id,
      summary: `Extended token ${token.id} (${updated.name}) to configuration ${configId}`,
      ...changedMembers(activityView(token), activityView(updated)),
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Token ${token.id} now reaches ${configId}`,
      renderToken(updated, clock.nowMillis()),
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
      previousValidUntil: isoAt(clock.nowMillis() + grace * 1000),
    }));
    await recordAction(services, request, admin, {
      action: "token.rotate",
      target: token.id,
      summary: `Rotated the secret of ${kindName(token)} ${token.id} (${token.name}); the old one works until ${updated.previousValidUntil}`,
      new: { previous_secret_valid_until: updated.previousValidUntil, grace_period_seconds: grace },
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Rotated token ${token.id}; the new secret is shown only now`,
      {
        ...renderToken(updated, clock.nowMillis()),
        token: secret,
      },
    );
  });

  app.post("/v1/admin/token/revoke", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const token = await load(admin.projectId, new BodyReader(request.body, "", ["id"]));
    const revoke = (t: TokenRecord): TokenRecord => ({
      ...t,
      revokedAt: t.revokedAt ?? nowIso(clock),
    });
    // Revoking a credential that works, one's own included, needs another that keeps working.
    const now = clock.nowMillis();
    const updated =
      token.kind === "admin" && worksAt(token, now)
        ? await modifyAdmin(token, now, "/id", revoke)
        : await modify(token, revoke);
    await recordAction(services, request, admin, {
      action: "token.revoke",
      target: token.id,
      summary: `Revoked ${kindName(token)} ${token.id} (${token.name})`,
      ...changedMembers(activityView(token), activityView(updated)),
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Revoked token ${token.id}`,
      renderToken(updated, clock.nowMillis()),
    );
  });
}

/** How an activity summary names a token of this kind. */
function kindName(token: TokenRecord): string {
  return token.kind === "admin" ? "admin credential" : "token";
}

/**
 * A token as its activity records show it: what an admin sets (name, kind, expiry, grants,
 * revocation), never its secret, the secret's hash or its timestamps.
 */
function activityView(token: TokenRecord): Record<string, unknown> {
  return {
    kind: token.kind,
    name: token.name,
    expires_at: token.expiresAt ?? null,
    grants: token.grants,
    revoked_at: token.revokedAt ?? null,
  };
}

/**
 * The refusal of a change that would leave the project without an admin credential that works:
 * `Conflict` (HTTP 409), like every refusal that depends on the stored state rather than the
 * request's shape, with `BadState` at the field that asked for it.
 */
function lastAdminRefused(id: string, pointer: string): ApiError {
  return new ApiError(
    "Conflict",
    `Refused: ${id} is the last admin credential that would still work; create another admin credential first`,
    [
      {
        code: "BadState",
        detail: "no other admin credential of the project would still work: create another one first",
        source: pointer,
      },
    ],
  );
}
