import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Authenticator } from "../auth/authenticator.js";
import { Sessions } from "../auth/sessions.js";
import { nowIso } from "../clock.js";
import { ApiError } from "../errors.js";
import { checkJsonShape } from "../guards/json-shape.js";
import type { Services } from "../services.js";
import type { TokenRecord } from "../store/contract/store.js";
import { DownloadLinks } from "./download-link.js";
import { sendEnvelope } from "./envelope.js";
import { answerFor } from "./error-map.js";
import { registerAnchorStatusRoute, registerCheckpointRoutes } from "./routes/checkpoint.js";
import { registerConfigRoutes } from "./routes/config-admin.js";
import { registerConsoleRoutes } from "./routes/console-static.js";
import { registerDownloadFileRoute, registerDownloadRoutes } from "./routes/download.js";
import { registerErasureRoutes } from "./routes/erasure-admin.js";
import { registerExportRoutes } from "./routes/export.js";
import { registerLogRoutes } from "./routes/log.js";
import { registerRequestRoutes } from "./routes/request.js";
import { registerRootRoutes } from "./routes/root.js";
import { registerSearchRoutes } from "./routes/search.js";
import { registerSessionRoutes } from "./routes/session.js";
import { registerTokenRoutes } from "./routes/token-admin.js";
import { sessionToken } from "./session-auth.js";

/**
 * Builds the HTTP application. Every answer, errors included, is the Pangea envelope with an
 * `x-request-id` header; routes answer under both `/v1/…` and `/audit/v1/…` (wire-protocol §1).
 */
export function createApp(services: Services, log: FastifyBaseLogger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log,
    // Per-request lines would cost more than the request itself at full load; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: services.config.maxBodyBytes,
    // Fastify's own 503 while closing is not the envelope; the onRequest hook below sheds instead.
    return503OnClosing: false,
  });

  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  // While draining every answer closes its connection: a request in flight at SIGTERM would
  // otherwise leave an idle keep-alive socket that holds the shutdown open for keepAliveTimeout.
  app.addHook("onSend", async (_request, reply, payload) => {
    if (closing) reply.header("connection", "close");
    return payload;
  });

  app.decorateRequest("veritrail", undefined as never);
  app.addHook("onRequest", async (request, reply) => {
    request.veritrail = {
      requestId: services.ids.newId("prq"),
      requestTime: nowIso(services.clock),
      clock: services.clock,
    };
    if (closing) {
      // Draining: a request arriving on an open keep-alive connection is refused before any work,
      // with a 503 the SDKs retry (wire-protocol §2.3).
      return sendEnvelope(request, reply, "ServiceNotAvailable", "The server is shutting down; retry", null);
    }
  });

  // JSON bodies are parsed as Fastify does by default (prototype poisoning refused), then held to
  // the shape bounds (limits.ts) before any route reads them: a body nested 20,000 levels deep
  // or with 20,000 keys is refused here, with the pointer of where it crossed the bound.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  // Fastify reads text/plain bodies by default; no route takes one, so it is refused 415 as any
  // other type is, instead of reaching a route as a string.
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body: string, done) => {
    parseJson(request, body, (error, value) => {
      if (error) return done(error, undefined);
      const problem = checkJsonShape(value);
      if (problem) return done(ApiError.validation([problem]), undefined);
      done(null, value);
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = answerFor(error, services.config, request.veritrail.requestId);
    if (answer.internal) {
      request.log.error({ err: error, requestId: request.veritrail.requestId }, "request failed");
    }
    for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
    return sendEnvelope(request, reply, answer.status, answer.summary, answer.result, answer.httpStatus);
  });

  app.setNotFoundHandler((request, reply) =>
    sendEnvelope(
      request,
      reply,
      "NotFound",
      `No endpoint ${request.method} ${request.url.split("?")[0]}`,
      null,
    ),
  );

  // Every route is authenticated from its headers alone, in onRequest, before its body is read:
  // a caller without a valid credential cannot make the server buffer or parse anything. The
  // data plane takes service tokens only, the management API the admin credential only
  // (docs/design/tokens.md). A scope's hook covers every route registered in it.
  // A console session (a cookie with its CSRF token) stands in for the header (http/session-auth.ts).
  const sessions = new Sessions({ store: services.store, clock: services.clock });
  const dataPlane = requireToken(services.authenticator, "service", sessions);
  const management = requireToken(services.authenticator, "admin", sessions);
  const links = new DownloadLinks({ config: services.config, store: services.store, clock: services.clock });
  for (const prefix of ["", "/audit"]) {
    app.register(
      async (scope) => {
        scope.addHook("onRequest", dataPlane);
        registerLogRoutes(scope, services);
        registerRootRoutes(scope, services);
        registerSearchRoutes(scope, services);
        registerRequestRoutes(scope, services);
        registerExportRoutes(scope, services);
        registerDownloadRoutes(scope, services, links);
      },
      { prefix },
    );
    app.register(
      async (scope) => {
        scope.addHook("onRequest", management);
        registerConfigRoutes(scope, services);
      },
      { prefix },
    );
  }
  app.register(async (scope) => {
    scope.addHook("onRequest", management);
    registerTokenRoutes(scope, services);
    registerErasureRoutes(scope, services);
  });
  // Checkpoints are public: they show only sizes and hashes (docs/design/publishing.md).
  app.register(async (scope) => {
    registerCheckpointRoutes(scope, services);
  });
  app.register(async (scope) => {
    scope.addHook("onRequest", management);
    registerAnchorStatusRoute(scope, services);
  });
  // A download link authorises itself (http/download-link.ts): no token hook, by design.
  app.register(async (scope) => {
    registerDownloadFileRoute(scope, services, links);
  });
  // The console's sign-in and its static files (docs/design/console-sessions.md).
  app.register(async (scope) => {
    registerSessionRoutes(scope, services, sessions);
    registerConsoleRoutes(scope);
  });
  return app;
}

/**
 * An onRequest hook that authenticates the `Authorization` header as a token of `kind` and keeps
 * it on the request (`request.veritrail.token`), or answers `Unauthorized` before the body is
 * read. A refused request whose body is still arriving has its connection closed after the
 * answer, so the server does not go on receiving an upload it will never parse.
 */
function requireToken(
  authenticator: Authenticator,
  kind: TokenRecord["kind"],
  sessions: Sessions,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    try {
      const token =
        (await sessionToken(sessions, request, kind)) ??
        (await authenticator.authenticate(request.headers.authorization));
      if (token.kind !== kind) throw ApiError.unauthorized();
      request.veritrail.token = token;
    } catch (error) {
      if (!request.raw.complete) reply.header("connection", "close");
      throw error;
    }
  };
}
