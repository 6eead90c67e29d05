import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendEnvelope } from "../envelope.js";

/*
 * Serves the built console (packages/console, `vite build` into its dist/) at `/console`, and
 * redirects `/` there. The files are read once at start into memory (a few hundred KB); a path
 * that names no file is a route of the console's own and answers its index.html. Every answer
 * carries a Content-Security-Policy that allows no inline script or style and no other origin.
 */

/** Where `npm run build` puts the console, from this module in src/ or dist/ alike. */
export const CONSOLE_DIST = fileURLToPath(new URL("../../../../console/dist/", import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

interface StaticFile {
  body: Buffer;
  type: string;
}

/** Every file under `dir` by its URL path (`assets/index-abc.js`), or an empty map when not built. */
function loadFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const type = TYPES[extname(name)];
        if (type) files.set(relative(dir, path).split(sep).join("/"), { body: readFileSync(path), type });
      }
    }
  };
  walk(dir);
  return files;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", CONSOLE_CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cross-origin-opener-policy", "same-origin");
}

export function registerConsoleRoutes(app: FastifyInstance, dir = CONSOLE_DIST): void {
  const files = loadFiles(dir);
  const index = files.get("index.html");

  app.get("/", async (_request, reply) => reply.redirect("/console/", 302));
  app.get("/console", async (_request, reply) => reply.redirect("/console/", 301));

  app.get("/console/*", async (request: FastifyRequest, reply: FastifyReply) => {
    const path = (request.params as { "*": string })["*"].split("?")[0]!;
    const file = files.get(path);
    securityHeaders(reply);
    if (file && path !== "index.html") {
      // Vite names every asset by its content's hash, so a name always means the same bytes.
      const immutable = path.startsWith("assets/");
      return reply
        .header("content-type", file.type)
        .header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache")
        .send(file.body);
    }
    // An asset that is not there is missing, not a page of the console.
    if (!index || path.startsWith("assets/") || extname(path) !== "") {
      return sendEnvelope(
        request,
        reply,
        "NotFound",
        index ? `No console file ${path}` : "The console is not built: run npm run build",
        null,
      );
    }
    return reply.header("content-type", index.type).header("cache-control", "no-cache").send(index.body);
  });
}
