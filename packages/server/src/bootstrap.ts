import { newId } from "@veritrail/core";
import { hashSecret } from "./auth/authenticator.js";
import { newToken } from "./auth/tokens.js";
import type { ServerConfig } from "./config.js";
import { defaultConfigSettings } from "./ingest/event-schema.js";
import { newTreeName } from "./log/tree-name.js";
import type { Store } from "./store/contract/store.js";

/** What first start created, to be shown once. Secrets given by environment are not echoed. */
export interface BootstrapReport {
  projectId: string;
  configId: string;
  adminSecret?: string;
  auditSecret?: string;
}

/**
 * First start: creates the default project, one audit configuration with the standard schema,
 * an admin credential and an audit token granted that configuration. Later starts only make sure
 * the credentials fixed by `VERITRAIL_ADMIN_TOKEN` / `VERITRAIL_INIT_AUDIT_TOKEN` exist.
 * Returns a report only when something new was created.
 */
export async function bootstrap(
  store: Store,
  config: ServerConfig,
  now: () => string,
): Promise<BootstrapReport | undefined> {
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
    }
    const configId = report?.configId ?? (await store.configs.listConfigs(project.id))[0]?.id;
    const wanted = [
      {
        kind: "admin" as const,
        name: "Initial admin credential",
        secret: config.adminToken,
        field: "adminSecret" as const,
      },
      {
        kind: "service" as const,
        name: "Initial audit token",
        secret: config.initAuditToken,
        field: "auditSecret" as const,
      },
    ];
    for (const want of wanted) {
      // Generated only on first start; a fixed secret is added whenever it is not yet stored.
      if (want.secret === undefined && !report) continue;
      if (want.secret !== undefined && (await store.tokens.findTokenBySecretHash(hashSecret(want.secret))))
        continue;
      if (want.kind === "service" && configId === undefined) continue;
      const { record, secret } = newToken({
        projectId: project.id,
        name: want.name,
        kind: want.kind,
        grants: want.kind === "service" ? { audit: { configs: [configId!] } } : {},
        now: now(),
        ...(want.secret !== undefined ? { secret: want.secret } : {}),
      });
      await store.tokens.createToken(record);
      if (want.secret === undefined && report) report[want.field] = secret;
    }
    return report;
  });
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
