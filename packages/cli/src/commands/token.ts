import type { AuditGrant, Grants, TokenKind, TokenView } from "@veritrail/core";
import type { Command, Context, OptionSpec } from "../command.js";
import { fields, shortTime, table } from "../table.js";

/*
 * `veritrail token …`: the tokens of the admin credential's project, service tokens and admin
 * credentials alike (`--kind admin` makes one). A secret is printed only by create and rotate,
 * the one time the server gives it.
 */

const GRANT_OPTIONS: Record<string, OptionSpec> = {
  config: {
    type: "string",
    multiple: true,
    help: ["--config ID", "a configuration the token may use (repeat for several)"],
  },
  "all-configs": {
    type: "boolean",
    help: ["--all-configs", "every configuration of the project, present and future"],
  },
  endpoint: {
    type: "string",
    multiple: true,
    help: ["--endpoint PATH", "an endpoint the token may call, e.g. v1/log (repeat; default: all)"],
  },
  restrict: {
    type: "string",
    multiple: true,
    help: [
      "--restrict ID:FIELD=V1,V2",
      "events logged to configuration ID must have FIELD set to one of the values (repeat)",
    ],
  },
};

const EXPIRES_AT: OptionSpec = {
  type: "string",
  help: ["--expires-at TIME", "when the token stops working, RFC 3339, e.g. 2027-01-01T00:00:00Z"],
};

const RESTRICTION = /^([^:=]+):([^=]+)=(.+)$/s;

/** The grant the grant options describe, or undefined when none is given. */
function readGrant(context: Context): Grants | undefined {
  const configs = context.strings("config");
  const all = context.flag("all-configs");
  const endpoints = context.strings("endpoint");
  const restrictions = context.strings("restrict");
  if (!configs.length && !all && !endpoints.length && !restrictions.length) return undefined;
  if (configs.length && all) throw context.usageError("give either --config or --all-configs, not both");
  if (!configs.length && !all) {
    throw context.usageError(
      "a grant names its configurations: give --config ID (repeatable) or --all-configs",
    );
  }
  const audit: AuditGrant = { configs: all ? "all" : configs };
  if (endpoints.length) audit.endpoints = endpoints;
  for (const text of restrictions) {
    const match = RESTRICTION.exec(text);
    const values = (match?.[3] ?? "").split(",").map((v) => v.trim());
    if (!match || values.some((v) => v === "")) {
      throw context.usageError(`--restrict takes CONFIG_ID:FIELD=VALUE[,VALUE…], got "${text}"`);
    }
    const [configId, field] = [match[1]!.trim(), match[2]!.trim()];
    const restrictions = audit.field_restrictions ?? {};
    const byField = restrictions[configId] ?? {};
    byField[field] = [...new Set([...(byField[field] ?? []), ...values])];
    restrictions[configId] = byField;
    audit.field_restrictions = restrictions;
  }
  return { audit };
}

function status(token: Pick<TokenView, "revoked_at" | "expires_at" | "status">): string {
  if (token.status) return token.status;
  if (token.revoked_at) return "revoked";
  if (token.expires_at && Date.parse(token.expires_at) <= Date.now()) return "expired";
  return "active";
}

function configsText(grants: Grants, max = Number.POSITIVE_INFINITY): string {
  const configs = grants.audit?.configs;
  if (configs === undefined) return "none";
  if (configs === "all") return "all";
  if (configs.length <= max) return configs.join(", ");
  return `${configs.slice(0, max).join(", ")} +${configs.length - max} more`;
}

function endpointsText(grants: Grants): string {
  return grants.audit?.endpoints?.join(", ") ?? "all";
}

function restrictionsText(grants: Grants): string | undefined {
  const restrictions = Object.entries(grants.audit?.field_restrictions ?? {}).flatMap(([configId, byField]) =>
    Object.entries(byField).map(([field, values]) => `${configId}: ${field}=${values.join(",")}`),
  );
  return restrictions.length ? restrictions.join("; ") : undefined;
}

/** A token's kind; servers that answer none list service tokens only. */
function kindOf(token: Pick<TokenView, "kind">): TokenKind {
  return token.kind ?? "service";
}

function tokenDetails(token: Partial<TokenView> & Pick<TokenView, "id" | "name" | "grants">): string {
  const pairs: [string, unknown][] = [
    ["id", token.id],
    ["kind", kindOf(token)],
    ["name", token.name],
    [
      "status",
      status({
        revoked_at: token.revoked_at ?? null,
        expires_at: token.expires_at ?? null,
        ...(token.status ? { status: token.status } : {}),
      }),
    ],
    ["expires", token.expires_at ?? "never"],
  ];
  // An admin credential manages the whole project: it has no grant to show.
  if (kindOf(token) === "service") {
    pairs.push(
      ["configs", configsText(token.grants)],
      ["endpoints", endpointsText(token.grants)],
      ["restrictions", restrictionsText(token.grants) ?? "none"],
    );
  }
  if (token.origin && token.origin !== "api") pairs.push(["origin", token.origin]);
  pairs.push(["created", token.created_at]);
  if (token.updated_at !== undefined) pairs.push(["updated", token.updated_at]);
  if (token.revoked_at) pairs.push(["revoked", token.revoked_at]);
  if (token.previous_secret_valid_until && !token.revoked_at) {
    pairs.push(["previous secret until", token.previous_secret_valid_until]);
  }
  return fields(pairs);
}

function show(context: Context, answer: { summary: string; result: TokenView }, summary = true): void {
  if (context.json) context.printJson(answer.result);
  else context.print(`${summary ? `${answer.summary}\n\n` : ""}${tokenDetails(answer.result)}`);
}

/** The one-time secret, set apart so that it is easy to copy, with the warning that goes with it. */
function secretBlock(secret: string): string {
  return `Secret (shown only now; store it safely, the server keeps only its hash):\n\n    ${secret}\n`;
}

const SECRET_WARNING = "veritrail: the result holds the token's secret, shown only now; store it safely\n";

const ID = ["ID"];

const KINDS: readonly TokenKind[] = ["service", "admin"];

/** The grant options, by flag, for the message that refuses them on an admin credential. */
const GRANT_FLAGS = ["config", "all-configs", "endpoint", "restrict"] as const;

export const TOKEN_COMMANDS: Command[] = [
  {
    name: "token create",
    synopsis: "--name NAME (--config ID... | --all-configs | --kind admin) [options]",
    summary:
      "Create a service token, or with --kind admin an admin credential.\n" +
      "Its secret is printed once, now; the server keeps only a hash.",
    options: {
      name: { type: "string", help: ["--name NAME", "the token's name (required)"] },
      kind: {
        type: "string",
        help: [
          "--kind KIND",
          "service (default; needs --config or --all-configs) or admin (manages the project, no grant)",
        ],
      },
      ...GRANT_OPTIONS,
      "expires-at": EXPIRES_AT,
    },
    async run(context) {
      const name = context.string("name");
      if (name === undefined) throw context.usageError("token create needs --name");
      const kind = context.string("kind") ?? "service";
      if (!(KINDS as readonly string[]).includes(kind)) {
        throw context.usageError(`--kind is service or admin, got "${kind}"`);
      }
      let grants: Grants | undefined;
      if (kind === "admin") {
        const given = GRANT_FLAGS.filter((flag) => context.values[flag] !== undefined);
        if (given.length) {
          throw context.usageError(
            `an admin credential manages the whole project and takes no grant: drop ${given.map((f) => `--${f}`).join(", ")}`,
          );
        }
      } else {
        grants = readGrant(context);
        if (!grants) {
          throw context.usageError("token create needs --config ID (repeatable) or --all-configs");
        }
      }
      const expiresAt = context.string("expires-at");
      const { result } = await context.client().createToken({
        name,
        ...(kind === "admin" ? { kind: "admin" as const } : { grants: grants! }),
        ...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
      });
      if (context.json) {
        context.io.stderr(SECRET_WARNING);
        context.printJson(result);
        return;
      }
      const what = kind === "admin" ? "admin credential" : "token";
      context.print(`Created ${what} ${result.id}\n\n${secretBlock(result.token)}\n${tokenDetails(result)}`);
    },
  },
  {
    name: "token list",
    synopsis: "",
    summary: "List the service tokens and admin credentials (never their secrets).",
    async run(context) {
      const { result } = await context.client().listTokens();
      if (context.json) {
        context.printJson(result);
        return;
      }
      if (result.items.length === 0) {
        context.print("No tokens.");
        return;
      }
      context.print(
        table(
          ["ID", "KIND", "NAME", "STATUS", "EXPIRES", "CONFIGS", "ENDPOINTS", "CREATED"],
          result.items.map((t) => {
            const service = kindOf(t) === "service";
            return [
              t.id,
              kindOf(t),
              t.name,
              status(t),
              shortTime(t.expires_at) ?? "never",
              service ? configsText(t.grants, 2) : undefined,
              service ? endpointsText(t.grants) : undefined,
              shortTime(t.created_at),
            ];
          }),
        ),
      );
    },
  },
  {
    name: "token get",
    synopsis: "ID",
    summary: "Show one token or admin credential (never its secret).",
    positionals: ID,
    async run(context) {
      show(context, await context.client().getToken(context.args[0]!), false);
    },
  },
  {
    name: "token update",
    synopsis: "ID [options]",
    summary:
      "Change a token or admin credential; only the options given change.\n" +
      "Grant options (service tokens only) replace the whole grant, so they need --config or --all-configs.\n" +
      "The server refuses an expiry that would leave no other admin credential working.",
    positionals: ID,
    options: {
      name: { type: "string", help: ["--name NAME", "a new name"] },
      "expires-at": EXPIRES_AT,
      "no-expiry": { type: "boolean", help: ["--no-expiry", "the token never expires"] },
      ...GRANT_OPTIONS,
    },
    async run(context) {
      const name = context.string("name");
      const expiresAt = context.string("expires-at");
      const noExpiry = context.flag("no-expiry");
      if (expiresAt !== undefined && noExpiry) {
        throw context.usageError("give either --expires-at or --no-expiry, not both");
      }
      const grants = readGrant(context);
      if (name === undefined && expiresAt === undefined && !noExpiry && !grants) {
        throw context.usageError("token update needs at least one change");
      }
      show(
        context,
        await context.client().updateToken(context.args[0]!, {
          ...(name === undefined ? {} : { name }),
          ...(noExpiry ? { expires_at: null } : expiresAt === undefined ? {} : { expires_at: expiresAt }),
          ...(grants ? { grants } : {}),
        }),
      );
    },
  },
  {
    name: "token extend",
    synopsis: "ID --config ID...",
    summary: "Let a service token also reach more configurations, keeping the rest of its grant.",
    positionals: ID,
    options: {
      config: {
        type: "string",
        multiple: true,
        help: ["--config ID", "a configuration to add (required; repeat for several)"],
      },
    },
    async run(context) {
      const configs = context.strings("config");
      if (!configs.length) throw context.usageError("token extend needs --config ID");
      const client = context.client();
      let answer: { summary: string; result: TokenView } | undefined;
      for (const configId of configs) answer = await client.extendToken(context.args[0]!, configId);
      show(context, { ...answer!, summary: `Token ${answer!.result.id} now reaches ${configs.join(", ")}` });
    },
  },
  {
    name: "token rotate",
    synopsis: "ID [--grace-period DURATION]",
    summary:
      "Give a token or admin credential a new secret, printed once, now.\n" +
      "The previous secret keeps working for the grace period, so that clients can move over.",
    positionals: ID,
    options: {
      "grace-period": {
        type: "string",
        help: [
          "--grace-period DURATION",
          "how long the previous secret still works, e.g. 1h (default 1d, at most 30d)",
        ],
      },
    },
    async run(context) {
      const grace = context.string("grace-period");
      const { result } = await context.client().rotateToken(context.args[0]!, grace);
      if (context.json) {
        context.io.stderr(SECRET_WARNING);
        context.printJson(result);
        return;
      }
      const { token: secret, ...view } = result;
      context.print(
        `Rotated token ${result.id}; the previous secret works until ${view.previous_secret_valid_until ?? "now"}.\n\n` +
          `${secretBlock(secret)}\n${tokenDetails(view)}`,
      );
    },
  },
  {
    name: "token revoke",
    synopsis: "ID",
    summary:
      "Revoke a token or admin credential: its secrets stop working at once. This cannot be undone.\n" +
      "The server refuses to revoke the last admin credential that works.",
    positionals: ID,
    async run(context) {
      show(context, await context.client().revokeToken(context.args[0]!));
    },
  },
];
