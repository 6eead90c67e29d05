import type { SessionView } from "@veritrail/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hashSecret } from "../../auth/authenticator.js";
import { csrfTokenFor, type Sessions } from "../../auth/sessions.js";
import { ApiError } from "../../errors.js";
import { BodyReader } from "../../guards/body-reader.js";
import { MAX_BEARER_LENGTH } from "../../limits.js";
import type { Services } from "../../services.js";
import type { TokenRecord } from "../../store/contract/store.js";
import { sendEnvelope } from "../envelope.js";
import { readSessionCookie, requireSession, secureCookies, sessionCookie } from "../session-auth.js";

/*
 * The console's sign-in, session and sign-out (docs/design/console-sessions.md):
 *   POST v1/session/create {token}  → Set-Cookie (HttpOnly, SameSite=Strict, Secure on HTTPS) and
 *                                     the session document with its `csrf_token`
 *   GET  v1/session                 → the session document again (after a reload)
 *   POST v1/session/end             → ends the session on the server and clears the cookie
 */

/** What the console is told about its session: who it is and which configurations it reaches. */
async function sessionDocument(
  services: Services,
  token: TokenRecord,
  secret: string,
  expiresAt: string,
): Promise<SessionView> {
  const configs = await services.store.configs.listConfigs(token.projectId);
  const grant = token.grants.audit;
  const reachable =
    token.kind === "admin" || grant?.configs === "all"
      ? configs
      : configs.filter((c) => grant?.configs.includes(c.id) ?? false);
  return {
    kind: token.kind,
    token_id: token.id,
    name: token.name,
    expires_at: expiresAt,
    csrf_token: csrfTokenFor(secret),
    configs: reachable.map((c) => ({ id: c.id, name: c.name })),
    ...(token.kind === "service"
      ? {
          endpoints: grant?.endpoints ?? null,
          field_restrictions: grant?.field_restrictions ?? {},
        }
      : {}),
  };
}

/**
 * Refuses a sign-in posted from another site. A browser names the page's origin on every
 * cross-origin POST; a sign-in from elsewhere would sign the visitor in as someone else.
 */
function refuseForeignOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw ApiError.unauthorized();
  }
  if (host !== request.headers.host) throw ApiError.unauthorized();
}

export function registerSessionRoutes(app: FastifyInstance, services: Services, sessions: Sessions): void {
  app.post("/v1/session/create", async (request, reply) => {
    refuseForeignOrigin(request);
    const body = new BodyReader(request.body, "", ["token"]);
    const secret = body.string("token", { max: MAX_BEARER_LENGTH });
    if (body.isObject && !body.has("token")) {
      body.errors.push({ code: "FieldRequired", detail: "token is required", source: "/token" });
    }
    body.throwIfInvalid();
    const token = await services.authenticator.authenticate(`Bearer ${secret}`);
    const made = await sessions.create(token, hashSecret(secret!));
    reply.header("set-cookie", sessionCookie(made.secret, secureCookies(request, services.config.publicUrl)));
    reply.header("cache-control", "no-store");
    return sendEnvelope(
      request,
      reply,
      "Success",
      "Signed in",
      await sessionDocument(services, token, made.secret, made.expiresAt),
    );
  });

  app.register(async (scope) => {
    scope.addHook("onRequest", requireSession(sessions));

    scope.get("/v1/session", async (request, reply) => {
      const secret = readSessionCookie(request.headers.cookie)!;
      const { session, token } = await sessions.authenticate(secret);
      reply.header("cache-control", "no-store");
      return sendEnvelope(
        request,
        reply,
        "Success",
        "Signed in",
        await sessionDocument(services, token, secret, session.expiresAt),
      );
    });

    scope.post("/v1/session/end", async (request: FastifyRequest, reply: FastifyReply) => {
      const secret = readSessionCookie(request.headers.cookie)!;
      await sessions.end(secret);
      reply.header("set-cookie", sessionCookie(undefined, secureCookies(request, services.config.publicUrl)));
      return sendEnvelope(request, reply, "Success", "Signed out", {});
    });
  });
}
