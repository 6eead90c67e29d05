import { canonicalize, type IdGenerator } from "@veritrail/core";
import { type Clock, isoAt, nowIso } from "../clock.js";
import { ApiError } from "../errors.js";
import { BodyReader } from "../guards/body-reader.js";
import { readEntry } from "../ingest/read-entry.js";
import type { Sequencer } from "../ingest/sequencer.js";
import {
  ACTIVITY_APPEND_ATTEMPTS,
  ACTIVITY_JOB_RESULT_TTL_MS,
  AUDIT_CODE_FIELD_SIZE,
  AUDIT_NAME_FIELD_SIZE,
  AUDIT_TEXT_FIELD_SIZE,
  MAX_ACTIVITY_CHANGE_LENGTH,
} from "../limits.js";
import type { ConfigDirectory } from "../log/config-directory.js";
import { newTreeName } from "../log/tree-name.js";
import type { ConfigRecord, ConfigSettings, EventSchema, Store } from "../store/contract/store.js";

/*
 * The admin activity log (docs/design/admin-activity.md): one configuration per project that the
 * server writes to itself and nobody logs to. Every admin action that commits becomes one event
 * in it, through the normal ingest path (schema check, hash, its own Merkle tree, search index),
 * so it is searched, exported and verified like any other log, by whoever is granted it.
 */

/** Who did it: a credential's id and name (never a secret), or the server itself at start-up. */
export interface AdminActor {
  id: string;
  name: string;
}

/** The server as the actor of what start-up does on its own. */
export const SERVER_ACTOR: AdminActor = Object.freeze({ id: "server", name: "Veritrail start-up" });

/** What was done. New kinds of action are added here, one word for each. */
export type AdminAction =
  | "config.create"
  | "config.update"
  | "config.delete"
  | "config.rotate_signing_key"
  | "config.partition_overrides"
  | "token.create"
  | "token.update"
  | "token.extend"
  | "token.rotate"
  | "token.revoke"
  | "erasure"
  | "console.sign_in";

/** One admin action, as its hook hands it over once the action has committed. */
export interface AdminActivity {
  /** The project the action was done in; its activity log receives the event. */
  projectId: string;
  actor: AdminActor;
  action: AdminAction;
  /** The id of what the action was done to (`pci_…`, `ptk_…`). */
  target: string;
  /** One line for people, e.g. "Created configuration pci_… (Payments)". No secrets. */
  summary: string;
  /** What changed: the fields before and after, never a secret or a secret's hash. */
  old?: Record<string, unknown>;
  new?: Record<string, unknown>;
  /** The id of the admin request that did it (`prq_…`). */
  requestId?: string;
}

/** The schema of every admin activity log. Standard field ids where one fits, so restrictions apply. */
export const ACTIVITY_SCHEMA: EventSchema = Object.freeze({
  save_malformed: "reject",
  fields: [
    { id: "message", name: "Summary", type: "text", size: AUDIT_TEXT_FIELD_SIZE, required: true },
    { id: "actor", name: "Credential id", type: "string", size: AUDIT_NAME_FIELD_SIZE, required: true },
    { id: "actor_name", name: "Credential name", type: "string", size: AUDIT_NAME_FIELD_SIZE },
    { id: "action", name: "Action", type: "string", size: AUDIT_CODE_FIELD_SIZE, required: true },
    { id: "target", name: "Target", type: "string", size: AUDIT_NAME_FIELD_SIZE },
    { id: "old", name: "Before", type: "text", size: AUDIT_TEXT_FIELD_SIZE },
    { id: "new", name: "After", type: "text", size: AUDIT_TEXT_FIELD_SIZE },
    { id: "request_id", name: "Request id", type: "string", size: AUDIT_NAME_FIELD_SIZE },
    { id: "timestamp", name: "Time", type: "datetime", size: AUDIT_NAME_FIELD_SIZE },
  ],
}) as EventSchema;

/** The name the activity log of a project is created with. */
export const ACTIVITY_CONFIG_NAME = "Admin activity";

/** True for the project's admin activity log. */
export function isActivityConfig(config: ConfigRecord): boolean {
  return config.settings.admin_activity === true;
}

function activitySettings(): ConfigSettings {
  return {
    version: 3,
    schema: structuredClone(ACTIVITY_SCHEMA),
    hot_storage: "14d",
    // The longest the configuration bounds allow: an admin trail outlives the logs it governs.
    warm_storage: "10y",
    vault_sign: false,
    admin_activity: true,
  };
}

/**
 * The id of the project's admin activity log, created when it has none. Creation happens under
 * the store's setup lock and looks again inside it, so however many processes ask at once (at
 * start, or at the first admin action of a project), the project gets exactly one.
 */
export async function ensureActivityConfig(
  store: Store,
  projectId: string,
  options: { now: () => string; newConfigId: () => string },
): Promise<string> {
  const find = async () => (await store.configs.listConfigs(projectId)).find(isActivityConfig)?.id;
  const existing = await find();
  if (existing) return existing;
  return store.withSetupLock(async () => {
    const again = await find();
    if (again) return again;
    const now = options.now();
    const config: ConfigRecord = {
      id: options.newConfigId(),
      projectId,
      name: ACTIVITY_CONFIG_NAME,
      settings: activitySettings(),
      createdAt: now,
      updatedAt: now,
    };
    await store.configs.createConfig(config, newTreeName());
    return config.id;
  });
}

/** What the activity writer says when it has to take another way, or could not write at all. */
export interface ActivityLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Raised when an admin action committed but its activity record could not be written, not even
 * as a job to retry: the request is answered `InternalError` with a summary that says so, never a
 * plain success, and the server log holds the record (without its change summary).
 */
export class ActivityNotRecordedError extends ApiError {
  readonly activity: AdminActivity;

  constructor(activity: AdminActivity, cause: unknown) {
    super(
      "InternalError",
      `The ${activity.action} of ${activity.target} was done, but its admin activity record could not be written; the server log holds it`,
      [],
      { cause },
    );
    this.name = "ActivityNotRecordedError";
    this.activity = activity;
  }
}

/** A change summary as stored: canonical JSON, or only the names of its keys when it is too long. */
function changeText(change: Record<string, unknown> | undefined): string | undefined {
  if (change === undefined) return undefined;
  const text = canonicalize(change);
  if (text.length <= MAX_ACTIVITY_CHANGE_LENGTH) return text;
  return canonicalize({ omitted: "too long to record", keys: Object.keys(change).sort() });
}

/**
 * Writes admin activity to each project's activity log. `record` resolves once the event is
 * committed, or once it is stored as a job that will commit it (when the direct append failed);
 * it throws `ActivityNotRecordedError` only when neither could be done.
 */
export class AdminActivityLog {
  readonly #store: Store;
  readonly #sequencer: Sequencer;
  readonly #directory: ConfigDirectory;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #log: ActivityLogger | undefined;
  /** Project id → its activity log's id; an activity log is never deleted, so this never goes stale. */
  readonly #configIds = new Map<string, string>();

  constructor(options: {
    store: Store;
    sequencer: Sequencer;
    directory: ConfigDirectory;
    clock: Clock;
    ids: IdGenerator;
    log?: ActivityLogger;
  }) {
    this.#store = options.store;
    this.#sequencer = options.sequencer;
    this.#directory = options.directory;
    this.#clock = options.clock;
    this.#ids = options.ids;
    this.#log = options.log;
  }

  /** The id of the project's activity log (created if the project has none yet). */
  async configIdOf(projectId: string): Promise<string> {
    const known = this.#configIds.get(projectId);
    if (known) return known;
    const id = await ensureActivityConfig(this.#store, projectId, {
      now: () => nowIso(this.#clock),
      newConfigId: () => this.#ids.newId("pci"),
    });
    this.#directory.invalidate();
    this.#configIds.set(projectId, id);
    return id;
  }

  /**
   * Records one admin action that has committed. It is appended at once (tried
   * `ACTIVITY_APPEND_ATTEMPTS` times); if that keeps failing it is stored as a `v2/log_async`
   * request, which the job runner of any process appends exactly once, retrying until it can.
   */
  async record(activity: AdminActivity): Promise<void> {
    let configId: string | undefined;
    let entry: ReturnType<typeof readEntry>;
    let failure: unknown;
    try {
      configId = await this.configIdOf(activity.projectId);
      const resolved = await this.#directory.get(configId);
      entry = this.#prepare(activity, resolved);
      for (let attempt = 1; attempt <= ACTIVITY_APPEND_ATTEMPTS; attempt++) {
        try {
          await this.#sequencer.append(resolved.treeId, { entries: [entry] });
          return;
        } catch (error) {
          failure = error;
        }
      }
    } catch (error) {
      failure = error;
    }
    if (configId !== undefined && entry !== undefined) {
      try {
        const now = this.#clock.nowMillis();
        await this.#store.jobs.createAsyncRequest({
          id: this.#ids.newId("prq"),
          tokenId: activity.actor.id,
          configId,
          endpoint: "v2/log_async",
          state: "pending",
          payload: JSON.stringify({ entries: [entry], verbose: false }),
          createdAt: isoAt(now),
          expiresAt: isoAt(now + ACTIVITY_JOB_RESULT_TTL_MS),
        });
        this.#log?.warn(
          { err: failure, action: activity.action, target: activity.target },
          "admin activity could not be appended now; it is queued and will be",
        );
        return;
      } catch (error) {
        failure = error;
      }
    }
    this.#log?.error(
      { err: failure, activity: { ...activity, old: undefined, new: undefined } },
      "an admin action was done but its admin activity record could not be written",
    );
    throw new ActivityNotRecordedError(activity, failure);
  }

  #prepare(activity: AdminActivity, resolved: Awaited<ReturnType<ConfigDirectory["get"]>>) {
    const event: Record<string, unknown> = {
      message: activity.summary,
      actor: activity.actor.id,
      actor_name: activity.actor.name,
      action: activity.action,
      target: activity.target,
      old: changeText(activity.old),
      new: changeText(activity.new),
      request_id: activity.requestId,
      timestamp: nowIso(this.#clock),
    };
    const body = new BodyReader({ event }, "", ["event"]);
    const entry = readEntry(body, {
      settings: resolved.config.settings,
      fieldNumbers: resolved.fieldNumbers,
      signer: resolved.signer,
      restrictions: undefined,
    });
    if (!entry || body.errors.length > 0) {
      throw new Error(`an admin activity event does not fit its schema: ${JSON.stringify(body.errors)}`);
    }
    return entry;
  }
}

/**
 * Records one admin action in the project's admin activity log, once the action has committed.
 * The one call every admin surface makes (the admin API's routes, the CLI through them, the
 * console's sign-in): a failed action records nothing, so call it only after the change is stored.
 * Throws `ActivityNotRecordedError` when the record could not be written even as a queued job;
 * answer the request with an error then (the HTTP error map makes it an `InternalError` that says
 * the action was done).
 *
 * @example
 * await recordAdminActivity(services, {
 *   projectId: admin.projectId,
 *   actor: { id: admin.id, name: admin.name },
 *   action: "console.sign_in",
 *   target: admin.id,
 *   summary: `${admin.name} signed in to the console`,
 *   requestId: request.veritrail.requestId,
 * });
 */
export async function recordAdminActivity(
  services: { readonly activity: AdminActivityLog },
  activity: AdminActivity,
): Promise<void> {
  await services.activity.record(activity);
}
