import { generateSigningKey, isId, privateKeyPem, publicKeyPem } from "@veritrail/core";
import type { FastifyInstance } from "fastify";
import { isActivityConfig } from "../../admin/activity-log.js";
import {
  CONFIG_KEYS,
  readConfigSettings,
  readPartitionOverrides,
  renderConfig,
  retirePartitions,
} from "../../admin/config-document.js";
import { nextTimestamp, nowIso } from "../../clock.js";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import {
  DEFAULT_LIST_SIZE,
  MAX_CONFIG_ORDER_BY_LENGTH,
  MAX_ID_FILTER_VALUES,
  MAX_ID_LENGTH,
  MAX_LIST_SIZE,
  MAX_NAME_LENGTH,
  MAX_ORDER_LENGTH,
} from "../../limits.js";
import { newTreeName } from "../../log/tree-name.js";
import type { Services } from "../../services.js";
import type { ConfigRecord } from "../../store/contract/store.js";
import { sendEnvelope } from "../envelope.js";
import { authenticatedAdmin, changedMembers, notFound, recordAction } from "./admin-context.js";

const LIST_FILTERS = [
  "id",
  "id__contains",
  "id__in",
  ...["created_at", "updated_at"].flatMap((f) => [f, `${f}__gt`, `${f}__gte`, `${f}__lt`, `${f}__lte`]),
];

/**
 * Service configurations, in Pangea's management shape (`v1beta/config…`), for the project of
 * the admin credential. A configuration in another project answers exactly like one that does
 * not exist.
 */
export function registerConfigRoutes(app: FastifyInstance, services: Services): void {
  const { store, directory, clock, ids } = services;

  async function load(projectId: string, body: BodyReader): Promise<ConfigRecord> {
    const id = body.string("id", { max: MAX_ID_LENGTH });
    if (!body.has("id")) body.errors.push({ code: "FieldRequired", detail: "id is required", source: "/id" });
    body.throwIfInvalid();
    const config = isId("pci", id) ? await store.configs.getConfig(id!) : undefined;
    if (!config || config.projectId !== projectId) throw notFound("configuration", id);
    return config;
  }

  async function render(config: ConfigRecord): Promise<Record<string, unknown>> {
    const tree = await store.log.getTreeHead(config.id);
    const key = config.settings.vault_sign ? await store.configs.getSigningKey(config.id) : undefined;
    return renderConfig(config, tree!.treeName, key?.keyId);
  }

  /** Gives the configuration a new signing key version (the first when none exists). */
  async function addSigningKey(configId: string): Promise<void> {
    const current = await store.configs.getSigningKey(configId);
    const key = generateSigningKey();
    await store.configs.addSigningKey({
      configId,
      version: (current?.version ?? 0) + 1,
      keyId: current?.keyId ?? ids.newId("pvi"),
      privateKey: privateKeyPem(key),
      publicKey: publicKeyPem(key),
      createdAt: nowIso(clock),
    });
  }

  app.post("/v1beta/config", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id"]);
    const config = await load(admin.projectId, body);
    return sendEnvelope(request, reply, "Success", "Configuration", await render(config));
  });

  app.post("/v1beta/config/create", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(
      request.body,
      "",
      CONFIG_KEYS.filter((k) => k !== "id" && k !== "updated_at"),
    );
    const name = body.string("name", {
      max: MAX_NAME_LENGTH,
      pattern: /\S/,
      patternText: "a non-empty name",
    });
    if (!body.has("name"))
      body.errors.push({ code: "FieldRequired", detail: "name is required", source: "/name" });
    const settings = readConfigSettings(body);
    body.throwIfInvalid();
    const now = nowIso(clock);
    const config: ConfigRecord = {
      id: ids.newId("pci"),
      projectId: admin.projectId,
      name: name!,
      settings: settings!,
      createdAt: now,
      updatedAt: now,
    };
    await store.configs.createConfig(config, newTreeName());
    if (config.settings.vault_sign) await addSigningKey(config.id);
    directory.invalidate();
    const rendered = await render(config);
    await recordAction(services, request, admin, {
      action: "config.create",
      target: config.id,
      summary: `Created configuration ${config.id} (${config.name})`,
      new: activityView(rendered),
    });
    return sendEnvelope(request, reply, "Success", `Created configuration ${config.id}`, rendered);
  });

  app.post("/v1beta/config/update", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", CONFIG_KEYS);
    const updatedAt = body.string("updated_at", { max: MAX_ID_LENGTH });
    if (!body.has("updated_at")) {
      body.errors.push({
        code: "FieldRequired",
        detail: "updated_at from the last read is required",
        source: "/updated_at",
      });
    }
    const name = body.string("name", {
      max: MAX_NAME_LENGTH,
      pattern: /\S/,
      patternText: "a non-empty name",
    });
    const existing = await load(admin.projectId, body);
    const settings = readConfigSettings(body, existing.settings);
    body.throwIfInvalid();
    if (updatedAt !== existing.updatedAt) throw conflict();
    const next: ConfigRecord = {
      ...existing,
      name: name ?? existing.name,
      settings: settings!,
      updatedAt: nextTimestamp(existing.updatedAt, clock.nowMillis()),
    };
    if (!(await store.configs.updateConfig(next, existing.updatedAt))) throw conflict();
    if (next.settings.vault_sign && !(await store.configs.getSigningKey(next.id)))
      await addSigningKey(next.id);
    directory.invalidate();
    const rendered = await render(next);
    await recordAction(services, request, admin, {
      action: "config.update",
      target: next.id,
      summary: `Updated configuration ${next.id} (${next.name})`,
      ...changedMembers(activityView(await render(existing)), activityView(rendered)),
    });
    return sendEnvelope(request, reply, "Success", `Updated configuration ${next.id}`, rendered);
  });

  // Per-tenant retention (docs/design/retention.md "Per-tenant overrides"): each key given is
  // set, a key mapped to null is removed, the others stay; the answer is the configuration.
  app.post("/v1beta/config/partition_overrides", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id", "overrides"]);
    for (let attempt = 0; ; attempt++) {
      const existing = await load(admin.projectId, body);
      const overrides = readPartitionOverrides(body, existing.settings);
      body.throwIfInvalid();
      const { partition_overrides: before, retired_partitions: wasRetired, ...rest } = existing.settings;
      const retired = retirePartitions(wasRetired, before, overrides!);
      const settings: ConfigRecord["settings"] = {
        ...rest,
        ...(Object.keys(overrides!).length > 0 ? { partition_overrides: overrides! } : {}),
        ...(retired.length > 0 ? { retired_partitions: retired } : {}),
      };
      const next: ConfigRecord = {
        ...existing,
        settings,
        updatedAt: nextTimestamp(existing.updatedAt, clock.nowMillis()),
      };
      // A concurrent change of the configuration is read again and the merge made on it.
      if (!(await store.configs.updateConfig(next, existing.updatedAt))) {
        if (attempt < 2) continue;
        throw conflict();
      }
      directory.invalidate();
      const rendered = await render(next);
      await recordAction(services, request, admin, {
        action: "config.partition_overrides",
        target: next.id,
        summary: `Updated the partition overrides of configuration ${next.id} (${next.name})`,
        ...changedMembers(activityView(await render(existing)), activityView(rendered)),
      });
      return sendEnvelope(
        request,
        reply,
        "Success",
        `Updated the partition overrides of configuration ${next.id}`,
        rendered,
      );
    }
  });

  app.post("/v1beta/config/delete", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id"]);
    const config = await load(admin.projectId, body);
    if (isActivityConfig(config)) {
      throw ApiError.validation([
        {
          code: "BadState",
          detail: "the admin activity log records every admin action and cannot be deleted",
          source: "/id",
        },
      ]);
    }
    const rendered = await render(config);
    if (!(await store.configs.deleteConfig(config.id, nowIso(clock)))) {
      throw notFound("configuration", config.id);
    }
    directory.invalidate();
    await recordAction(services, request, admin, {
      action: "config.delete",
      target: config.id,
      summary: `Deleted configuration ${config.id} (${config.name}); its events are kept`,
      old: { name: config.name, tree_name: rendered["tree_name"] },
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Deleted configuration ${config.id}; its events are kept`,
      rendered,
    );
  });

  app.post("/v1beta/config/signing_key/rotate", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body, "", ["id"]);
    const config = await load(admin.projectId, body);
    if (!config.settings.vault_sign) {
      throw ApiError.validation([
        { code: "BadState", detail: "vault_sign is off for this configuration", source: "/id" },
      ]);
    }
    await addSigningKey(config.id);
    directory.invalidate();
    const key = await store.configs.getSigningKey(config.id);
    await recordAction(services, request, admin, {
      action: "config.rotate_signing_key",
      target: config.id,
      summary: `Rotated the signing key of configuration ${config.id} to version ${key!.version}`,
      new: { vault_key_id: key!.keyId, vault_key_version: key!.version },
    });
    return sendEnvelope(
      request,
      reply,
      "Success",
      `Signing key of ${config.id} is now version ${key!.version}`,
      {
        id: config.id,
        vault_key_id: key!.keyId,
        vault_key_version: key!.version,
        public_key: key!.publicKey,
      },
    );
  });

  app.post("/v1beta/config/list", async (request, reply) => {
    const admin = authenticatedAdmin(request);
    const body = new BodyReader(request.body ?? {}, "", ["filter", "last", "order", "order_by", "size"]);
    const filter = new BodyReader(body.raw("filter") ?? {}, "/filter", LIST_FILTERS, body.errors);
    const order =
      body.string("order", { max: MAX_ORDER_LENGTH, pattern: /^(asc|desc)$/, patternText: "asc or desc" }) ??
      "asc";
    const orderBy = (body.string("order_by", {
      max: MAX_CONFIG_ORDER_BY_LENGTH,
      pattern: /^(id|created_at|updated_at)$/,
      patternText: "id, created_at or updated_at",
    }) ?? "created_at") as "id" | "created_at" | "updated_at";
    const size = body.integer("size", { min: 1, max: MAX_LIST_SIZE }) ?? DEFAULT_LIST_SIZE;
    const last = body.string("last", { max: MAX_ID_LENGTH });
    const offset = last === undefined ? 0 : decodeCursor(last);
    if (offset === undefined)
      body.errors.push({
        code: "BadFormat",
        detail: "last is not a cursor this server gave",
        source: "/last",
      });
    const predicates = readFilter(filter);
    body.throwIfInvalid();
    const field = { id: "id", created_at: "createdAt", updated_at: "updatedAt" } as const;
    const matching = (await store.configs.listConfigs(admin.projectId))
      .filter((config) => predicates.every((p) => p(config)))
      .sort((a, b) => {
        const x = a[field[orderBy]];
        const y = b[field[orderBy]];
        const c = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
        return order === "asc" ? c : -c;
      });
    const page = matching.slice(offset!, offset! + size);
    const items = await Promise.all(page.map(render));
    const next = offset! + page.length;
    return sendEnvelope(request, reply, "Success", `${items.length} configuration(s)`, {
      count: matching.length,
      ...(next < matching.length ? { last: encodeCursor(next) } : {}),
      items,
    });
  });
}

/** A configuration as its activity records show it: the document without its timestamps. */
function activityView(rendered: Record<string, unknown>): Record<string, unknown> {
  const { created_at: _created, updated_at: _updated, ...rest } = rendered;
  return rest;
}

function conflict(): ApiError {
  return new ApiError("Conflict", "The configuration changed since it was read; read it again and retry", [
    { code: "BadState", detail: "updated_at does not match the stored configuration", source: "/updated_at" },
  ]);
}

/** The list cursor: base64 of `offset:<n>` (opaque to clients). */
function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64");
}

function decodeCursor(cursor: string): number | undefined {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, "base64").toString("utf8"));
  return match ? Number(match[1]) : undefined;
}

type Predicate = (config: ConfigRecord) => boolean;

/** The list filter of `AuditServiceConfigList`: id equality, substrings, membership, and time ranges. */
function readFilter(filter: BodyReader): Predicate[] {
  const out: Predicate[] = [];
  const id = filter.string("id", { max: MAX_ID_LENGTH });
  if (id !== undefined) out.push((c) => c.id === id);
  for (const key of ["id__contains", "id__in"] as const) {
    const raw = filter.raw(key);
    if (raw === undefined) continue;
    if (
      !Array.isArray(raw) ||
      raw.length > MAX_ID_FILTER_VALUES ||
      raw.some((v) => typeof v !== "string" || v.length > MAX_ID_LENGTH)
    ) {
      filter.errors.push({
        code: "InvalidArray",
        detail: `${key} must be a list of at most ${MAX_ID_FILTER_VALUES} strings`,
        source: filter.at(key),
      });
      continue;
    }
    const values = raw as string[];
    out.push(key === "id__in" ? (c) => values.includes(c.id) : (c) => values.every((v) => c.id.includes(v)));
  }
  for (const field of ["created_at", "updated_at"] as const) {
    for (const op of ["", "__gt", "__gte", "__lt", "__lte"] as const) {
      const key = `${field}${op}`;
      const text = filter.string(key, { max: MAX_ID_LENGTH });
      if (text === undefined) continue;
      const at = Date.parse(text);
      if (Number.isNaN(at)) {
        filter.errors.push({
          code: "BadFormatDateTime",
          detail: `${key} must be a date-time`,
          source: filter.at(key),
        });
        continue;
      }
      const value = (c: ConfigRecord) => Date.parse(field === "created_at" ? c.createdAt : c.updatedAt);
      const compare = {
        "": (v: number) => v === at,
        __gt: (v: number) => v > at,
        __gte: (v: number) => v >= at,
        __lt: (v: number) => v < at,
        __lte: (v: number) => v <= at,
      }[op];
      out.push((c) => compare(value(c)));
    }
  }
  return out;
}
