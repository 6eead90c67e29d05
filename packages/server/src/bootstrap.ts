import { timingSafeEqual } from "node:crypto";
import { newId } from "@veritrail/core";
import {
  type AdminActivity,
  ensureActivityConfig,
  isActivityConfig,
  SERVER_ACTOR,
} from "./admin/activity-log.js";
import { hashSecret } from "./auth/authenticator.js";
import { newToken, worksAt } from "./auth/tokens.js";
import { nextTimestamp } from "./clock.js";
import type { ServerConfig } from "./config.js";
import { defaultConfigSettings } from "./ingest/event-schema.js";
import { newTreeName } from "./log/tree-name.js";
import type { Store, TokenRecord } from "./store/contract/store.js";

/** What first start created, to be shown once. Secrets given by environment are not echoed. */
export interface BootstrapReport {
  projectId: string;
  configId: string;
  adminSecret?: string;
  auditSecret?: string;
}

/** The name start-up gives the admin credential it stores. */
const INITIAL_ADMIN_NAME = "Initial admin credential";

/** Where start-up says what it changed on its own; pino's logger is one. Never given a secret. */
export interface BootstrapLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * First start: creates the default project, one audit configuration with the standard schema,
 * an admin credential and an audit token granted that configuration. Later starts only make sure
 * the credentials fixed by `VERITRAIL_ADMIN_TOKEN` / `VERITRAIL_INIT_AUDIT_TOKEN` exist, and
 * revoke the admin credential an earlier value of `VERITRAIL_ADMIN_TOKEN` made (see
 * `settleEnvironmentAdmin`). Every start makes sure the project has its admin activity log.
 * What it creates or revokes is pushed to `activity` (as done by the server itself), for the
 * caller to record once the service runs. Returns a report only when the project was created.
 */
export async function bootstrap(
  store: Store,
  config: ServerConfig,
  now: () => string,
  log?: BootstrapLog,
  activity: AdminActivity[] = [],
): Promise<BootstrapReport | undefined> {
  const report = await setUpProject(store, config, now, log, activity);
  // After the project's own setup, so its default configuration stays its oldest; the activity
  // log takes the setup lock itself and looks again inside it (admin/activity-log.ts).
  const project = await store.configs.getFirstProject();
  if (project) await ensureActivityConfig(store, project.id, { now, newConfigId: () => newId("pci") });
  return report;
}

async function setUpProject(
  store: Store,
  config: ServerConfig,
  now: () => string,
  log: BootstrapLog | undefined,
  activity: AdminActivity[],
): Promise<BootstrapReport | undefined> {
  const done = (projectId: string, entry: Omit<AdminActivity, "projectId" | "actor">) =>
    activity.push({ projectId, actor: SERVER_ACTOR, ...entry });
  return store.withSetupLock(async () => {
    let project = await store.configs.getFirstProject();
    let report: BootstrapReport | undefined;
    if (!project) {
      project = { id: newId("ppj"), name: "Default project", createdAt: now() };
      await store.configs.createProject(project);
      const configId = newId("pci");
      await store.configs.createConfig(
        {
          id: configId,
          projectId: project.id,
          name: "Default audit log",
          settings: defaultConfigSettings(),
          createdAt: now(),
          updatedAt: now(),
        },
        newTreeName(),
      );
      report = { projectId: project.id, configId };
      done(project.id, {
        action: "config.create",
        target: configId,
        summary: `Created the default configuration ${configId} at first start`,
      });
    }
    if (config.adminToken !== undefined) {
      await settleEnvironmentAdmin(store, project.id, config.adminToken, now, log, (entry) =>
        done(project.id, entry),
      );
    } else if (report) {
      const { record, secret } = newToken({
        projectId: project.id,
        name: INITIAL_ADMIN_NAME,
        kind: "admin",
        grants: {},
        origin: "generated",
        now: now(),
      });
      await store.tokens.createToken(record);
      report.adminSecret = secret;
      done(project.id, createdToken(record, "at first start"));
    }
    const configId =
      report?.configId ?? (await store.configs.listConfigs(project.id)).find((c) => !isActivityConfig(c))?.id;
    // Generated only on first start; a fixed secret is added whenever it is not yet stored.
    const fixed = config.initAuditToken;
    const wanted =
      fixed === undefined
        ? report !== undefined
        : !(await store.tokens.findTokenBySecretHash(hashSecret(fixed)));
    if (wanted && configId !== undefined) {
      const { record, secret } = newToken({
        projectId: project.id,
        name: "Initial audit token",
        kind: "service",
        grants: { audit: { configs: [configId] } },
        origin: fixed === undefined ? "generated" : "environment",
        now: now(),
        ...(fixed === undefined ? {} : { secret: fixed }),
      });
      await store.tokens.createToken(record);
      if (fixed === undefined && report) report.auditSecret = secret;
      done(
        project.id,
        createdToken(record, fixed === undefined ? "at first start" : "from VERITRAIL_INIT_AUDIT_TOKEN"),
      );
    }
    return report;
  });
}

/**
 * Makes `VERITRAIL_ADMIN_TOKEN` the project's environment credential: stores it if no token has
 * this secret yet, then revokes every other admin credential an earlier value made. The new one
 * is stored before any old one is revoked, so the project always keeps an admin credential that
 * works. When the value names a credential that no longer works (revoked through the admin API,
 * expired, or rotated out), nothing is revoked: the variable is stale, and revoking would lock
 * the project out. Each revocation is logged with the credential's id, never its secret.
 */
async function settleEnvironmentAdmin(
  store: Store,
  projectId: string,
  secret: string,
  now: () => string,
  log: BootstrapLog | undefined,
  done: (entry: Omit<AdminActivity, "projectId" | "actor">) => void,
): Promise<void> {
  const hash = hashSecret(secret);
  let current = await store.tokens.findTokenBySecretHash(hash);
  if (current === undefined) {
    const { record } = newToken({
      projectId,
      name: INITIAL_ADMIN_NAME,
      kind: "admin",
      grants: {},
      origin: "environment",
      secret,
      now: now(),
    });
    await store.tokens.createToken(record);
    current = record;
    done(createdToken(record, "from VERITRAIL_ADMIN_TOKEN"));
  } else if (current.kind !== "admin") {
    log?.warn(
      { credential: current.id },
      `VERITRAIL_ADMIN_TOKEN is the secret of service token ${current.id}, not of an admin credential; it manages nothing`,
    );
    return;
  } else if (
    current.origin === undefined &&
    current.name === INITIAL_ADMIN_NAME &&
    timingSafeEqual(current.secretHash, hash)
  ) {
    // A credential an earlier start stored before origins were recorded (migration 006): mark it,
    // so that the next change of the variable replaces it too.
    const updated = await changeToken(store, current, (t) => ({ ...t, origin: "environment" }), now);
    if (updated) current = updated;
  }
  const at = Date.parse(now());
  const works =
    worksAt(current, at) &&
    (timingSafeEqual(current.secretHash, hash) ||
      (current.previousValidUntil !== undefined && Date.parse(current.previousValidUntil) > at));
  if (!works) {
    log?.warn(
      { credential: current.id },
      `VERITRAIL_ADMIN_TOKEN is the secret of admin credential ${current.id}, which was revoked, has expired or was rotated; it does not work, and no other admin credential was revoked`,
    );
    return;
  }
  const keep = current.id;
  for (const token of await store.tokens.listTokens(projectId)) {
    if (token.kind !== "admin" || token.origin !== "environment" || token.id === keep) continue;
    if (token.revokedAt !== undefined) continue;
    const revoked = await changeToken(store, token, (t) => ({ ...t, revokedAt: t.revokedAt ?? now() }), now);
    if (revoked) {
      done({
        action: "token.revoke",
        target: token.id,
        summary: `Revoked admin credential ${token.id}: VERITRAIL_ADMIN_TOKEN now holds the secret of ${keep}`,
        old: { revoked_at: null },
        new: { revoked_at: revoked.revokedAt ?? null },
      });
      log?.warn(
        { credential: token.id, replacedBy: keep },
        `revoked admin credential ${token.id}: it came from VERITRAIL_ADMIN_TOKEN, which now holds the secret of ${keep}`,
      );
    }
  }
}

/** The activity record of a token start-up created: what it is, never its secret. */
function createdToken(token: TokenRecord, how: string): Omit<AdminActivity, "projectId" | "actor"> {
  const what = token.kind === "admin" ? "admin credential" : "token";
  return {
    action: "token.create",
    target: token.id,
    summary: `Created ${what} ${token.id} (${token.name}) ${how}`,
    new: { kind: token.kind, name: token.name, grants: token.grants, origin: token.origin ?? "api" },
  };
}

/**
 * Applies `change` with the optimistic check of `updateToken`, re-reading on a concurrent change;
 * `updated_at` always moves forward. Undefined when the token is gone or kept changing.
 */
async function changeToken(
  store: Store,
  token: TokenRecord,
  change: (t: TokenRecord) => TokenRecord,
  now: () => string,
): Promise<TokenRecord | undefined> {
  let current: TokenRecord | undefined = token;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    const next = { ...change(current), updatedAt: nextTimestamp(current.updatedAt, Date.parse(now())) };
    if (await store.tokens.updateToken(next, current.updatedAt)) return next;
    current = await store.tokens.getToken(token.id);
  }
  return undefined;
}

/** The once-only first-start message with a ready-to-run example. */
export function describeBootstrap(report: BootstrapReport, publicUrl: string): string {
  const token = report.auditSecret ?? "$VERITRAIL_INIT_AUDIT_TOKEN";
  const lines = [
    "",
    "Veritrail created a default project. These secrets are shown only now; only their hashes are stored.",
    `  config id:         ${report.configId}`,
    `  audit token:       ${report.auditSecret ?? "(from VERITRAIL_INIT_AUDIT_TOKEN)"}`,
    `  admin credential:  ${report.adminSecret ?? "(from VERITRAIL_ADMIN_TOKEN)"}`,
    "",
    "Try it:",
    // Double quotes, so that a shell expands $VERITRAIL_INIT_AUDIT_TOKEN when the secret came from it.
    `  curl -s ${publicUrl}/v1/log -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' \\`,
    `    -d '{"event":{"actor":"alice","action":"login","message":"hello"},"verbose":true}'`,
    "",
  ];
  return lines.join("\n");
}
