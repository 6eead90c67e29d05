import { DURATION_PATTERN, parseDuration } from "@veritrail/core";
import { AUDIT_ENDPOINTS } from "../auth/resolve-config.js";
import { worksAt } from "../auth/tokens.js";
import { isoAt } from "../clock.js";
import type { ErrorField } from "../errors.js";
import { BodyReader } from "../guards/body-reader.js";
import { isDateTime } from "../ingest/event-schema.js";
import { MAX_GRANT_CONFIGS, MAX_RESTRICTED_VALUE_LENGTH, MAX_RESTRICTED_VALUES } from "../limits.js";
import type { ConfigRecord, ServiceGrant, TokenRecord } from "../store/contract/store.js";

/*
 * The token document of the admin API (`v1/admin/token/…`):
 *   create {kind?: "service" | "admin", name, expires_at?,
 *           grants: {audit: {configs: [...] | "all", endpoints?, field_restrictions?}}}
 *   → {id, token, kind, name, expires_at, grants, created_at}
 * `kind` is "service" unless given; a service token needs grants, an admin credential takes none
 * (it manages the whole project and never calls the data plane). The secret `token` appears only
 * in the answers to create and rotate.
 */

/** The kinds a token may be created as. */
export const TOKEN_KINDS = ["service", "admin"] as const satisfies readonly TokenRecord["kind"][];

/** Reads the optional `kind`; "service" when absent, undefined (with an error) when not a kind. */
export function readKind(body: BodyReader): TokenRecord["kind"] | undefined {
  if (!body.has("kind")) return "service";
  const kind = body.raw("kind");
  if ((TOKEN_KINDS as readonly unknown[]).includes(kind)) return kind as TokenRecord["kind"];
  body.errors.push({
    code: "NotEnumMember",
    detail: `kind is one of ${TOKEN_KINDS.join(", ")}`,
    source: "/kind",
  });
  return undefined;
}

/** The problem of a request that gives an admin credential grants. */
export const ADMIN_GRANTS_ERROR: ErrorField = {
  code: "UnexpectedProperty",
  detail: "an admin credential takes no grants: it manages the whole project and never calls the data plane",
  source: "/grants",
};

/** Reads `grants`: only the audit service exists; every configuration, endpoint and field must exist. */
export function readGrants(
  value: unknown,
  pointer: string,
  configs: readonly ConfigRecord[],
  errors: ErrorField[],
): TokenRecord["grants"] | undefined {
  const before = errors.length;
  const body = new BodyReader(value, pointer, ["audit"], errors);
  if (!body.has("audit")) return errors.length > before ? undefined : {};
  const audit = new BodyReader(
    body.raw("audit"),
    body.at("audit"),
    ["configs", "endpoints", "field_restrictions"],
    errors,
  );
  const byId = new Map(configs.map((c) => [c.id, c]));
  const grant: ServiceGrant = { configs: [] };

  const rawConfigs = audit.raw("configs");
  if (rawConfigs === "all") {
    grant.configs = "all";
  } else if (!Array.isArray(rawConfigs) || rawConfigs.length === 0 || rawConfigs.length > MAX_GRANT_CONFIGS) {
    errors.push({
      code: rawConfigs === undefined ? "FieldRequired" : "InvalidArray",
      detail: `configs must be "all" or a list of 1 to ${MAX_GRANT_CONFIGS} configuration ids`,
      source: audit.at("configs"),
    });
  } else {
    const ids = new Set<string>();
    rawConfigs.forEach((id, i) => {
      const source = `${audit.at("configs")}/${i}`;
      if (typeof id !== "string" || !byId.has(id)) {
        errors.push({
          code: "ConfigNotExist",
          detail: "no configuration of this project has this id",
          source,
        });
      } else if (ids.has(id)) {
        errors.push({ code: "ItemNotUnique", detail: `${id} is listed twice`, source });
      } else {
        ids.add(id);
      }
    });
    grant.configs = [...ids];
  }

  if (audit.has("endpoints")) {
    const endpoints = audit.raw("endpoints");
    if (!Array.isArray(endpoints) || endpoints.length === 0) {
      errors.push({
        code: "InvalidArray",
        detail: "endpoints must be a non-empty list",
        source: audit.at("endpoints"),
      });
    } else {
      endpoints.forEach((endpoint, i) => {
        if (!(AUDIT_ENDPOINTS as readonly unknown[]).includes(endpoint)) {
          errors.push({
            code: "NotEnumMember",
            detail: `endpoints are among ${AUDIT_ENDPOINTS.join(", ")}`,
            source: `${audit.at("endpoints")}/${i}`,
          });
        }
      });
      grant.endpoints = [...new Set(endpoints as string[])];
    }
  }

  if (audit.has("field_restrictions")) {
    const covered = grant.configs === "all" ? new Set(byId.keys()) : new Set(grant.configs);
    const restrictions = new BodyReader(
      audit.raw("field_restrictions"),
      audit.at("field_restrictions"),
      undefined,
      errors,
    );
    const raw = (audit.raw("field_restrictions") ?? {}) as Record<string, unknown>;
    const out: NonNullable<ServiceGrant["field_restrictions"]> = {};
    for (const [configId, fields] of typeof raw === "object" && raw !== null ? Object.entries(raw) : []) {
      const config = byId.get(configId);
      if (!config || !covered.has(configId)) {
        errors.push({
          code: "ConfigNotExist",
          detail: "restrictions must name a configuration the grant covers",
          source: restrictions.at(configId),
        });
        continue;
      }
      const reader = new BodyReader(fields, restrictions.at(configId), undefined, errors);
      const schemaFields = new Set(config.settings.schema.fields.map((f) => f.id));
      out[configId] = {};
      for (const [field, values] of typeof fields === "object" && fields !== null
        ? Object.entries(fields)
        : []) {
        if (!schemaFields.has(field)) {
          errors.push({
            code: "DoesNotExist",
            detail: `${field} is not a field of ${configId}`,
            source: reader.at(field),
          });
        } else if (
          !Array.isArray(values) ||
          values.length === 0 ||
          values.length > MAX_RESTRICTED_VALUES ||
          values.some((v) => typeof v !== "string" || v.length > MAX_RESTRICTED_VALUE_LENGTH)
        ) {
          errors.push({
            code: "InvalidArray",
            detail: `allowed values are a list of 1 to ${MAX_RESTRICTED_VALUES} strings`,
            source: reader.at(field),
          });
        } else {
          out[configId][field] = [...new Set(values as string[])];
        }
      }
    }
    grant.field_restrictions = out;
  }
  return errors.length > before ? undefined : { audit: grant };
}

/** Reads an optional `expires_at` (RFC 3339, in the future); `null` clears it on update. */
export function readExpiry(body: BodyReader, nowMillis: number): string | null | undefined {
  if (body.raw("expires_at") === null) return null;
  const text = body.string("expires_at", { max: 64 });
  if (text === undefined) return undefined;
  if (!isDateTime(text) || !/([Zz]|[+-]\d{2}:?\d{2})$/.test(text)) {
    body.errors.push({
      code: "BadFormatDateTime",
      detail: "expires_at must be an RFC 3339 date-time with a zone",
      source: "/expires_at",
    });
    return undefined;
  }
  const at = Date.parse(text);
  if (at <= nowMillis) {
    body.errors.push({
      code: "NotWithinRange",
      detail: "expires_at must be in the future",
      source: "/expires_at",
    });
    return undefined;
  }
  return isoAt(at);
}

/** Reads the rotation grace period (a Pangea duration, at most 30 days); seconds. */
export function readGracePeriod(body: BodyReader): number | undefined {
  const text = body.string("grace_period", { max: 32 });
  if (text === undefined) return undefined;
  if (!DURATION_PATTERN.test(text)) {
    body.errors.push({
      code: "BadFormatPangeaDuration",
      detail: "grace_period must be a duration such as 1h or 7d",
      source: "/grace_period",
    });
    return undefined;
  }
  const seconds = parseDuration(text);
  if (seconds > 30 * 86_400) {
    body.errors.push({
      code: "NotWithinRange",
      detail: "grace_period is at most 30d",
      source: "/grace_period",
    });
    return undefined;
  }
  return seconds;
}

/** What a token is now: revoked wins over expired. */
export function tokenStatus(token: TokenRecord, nowMillis: number): "active" | "revoked" | "expired" {
  if (token.revokedAt !== undefined) return "revoked";
  return worksAt(token, nowMillis) ? "active" : "expired";
}

/**
 * The admin API's view of a token at `nowMillis`: never the secret or its hash. `origin` says
 * whether it came from the environment (and so is replaced when its variable changes), was
 * generated at first start, or was made through this API.
 */
export function renderToken(token: TokenRecord, nowMillis: number): Record<string, unknown> {
  return {
    id: token.id,
    kind: token.kind,
    status: tokenStatus(token, nowMillis),
    origin: token.origin ?? "api",
    name: token.name,
    expires_at: token.expiresAt ?? null,
    grants: token.grants,
    created_at: token.createdAt,
    updated_at: token.updatedAt,
    revoked_at: token.revokedAt ?? null,
    previous_secret_valid_until: token.previousValidUntil ?? null,
  };
}
