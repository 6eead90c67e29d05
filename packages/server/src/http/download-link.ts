import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type Clock, isoAt } from "../clock.js";
import type { ServerConfig } from "../config.js";
import type { EventFileFormat } from "../log/event-file.js";
import { fileNameOf } from "../log/event-file.js";
import type { Store } from "../store/contract/store.js";

/*
 * Download links (wire-protocol §4.5): `dest_url` is fetched with a plain GET and no
 * Authorization header, so the URL authorises itself, as a presigned object-store URL does:
 *
 *   <publicUrl>/download/<kind>/<id>.<format>.gz?expires=<unix seconds>&sig=<base64url>
 *
 * `sig` is HMAC-SHA256, under the server's download key, of the kind, the id, the format and the
 * expiry: a link opens exactly one file, in one format, until one time, and changing any part of
 * it breaks the signature. It is compared in constant time. The key is
 * `VERITRAIL_DOWNLOAD_SECRET`, or else a random one made once and kept in the database
 * (`ensureServerSecret`), so that every process of a cluster verifies the links any of them made.
 * A link is a bearer credential for one file: it lives at most `DOWNLOAD_LINK_TTL_MS`, never
 * longer than what it opens, and the download checks again that the token that asked for it may
 * still read it (http/routes/download.ts).
 */

/** What a link opens: a search's result set, or a finished export. */
export type DownloadKind = "results" | "export";

export interface DownloadTarget {
  kind: DownloadKind;
  id: string;
  format: EventFileFormat;
}

/**
 * How long a link opens its file: an hour. The SDKs fetch a link right after asking for it; a
 * shorter life bounds what a leaked link (a proxy log, a browser history) gives away.
 */
export const DOWNLOAD_LINK_TTL_MS = 60 * 60_000;

/** The name of the generated key in the store's server secrets. */
const SECRET_NAME = "download-links";
/** Bytes of a generated key, and of a signature. */
const KEY_BYTES = 32;
const SIGNATURE_LENGTH = 43; // 32 bytes in unpadded base64url

/** Why a link does not open its file. */
export type LinkCheck = "valid" | "forged" | "expired";

export class DownloadLinks {
  readonly #config: ServerConfig;
  readonly #store: Store;
  readonly #clock: Clock;
  #key: Promise<Buffer> | undefined;

  constructor(options: { config: ServerConfig; store: Store; clock: Clock }) {
    this.#config = options.config;
    this.#store = options.store;
    this.#clock = options.clock;
  }

  /**
   * A link to `target` that opens it until `min(now + DOWNLOAD_LINK_TTL_MS, notAfterMillis)`,
   * with that time as `expires_at`.
   */
  async create(
    target: DownloadTarget,
    notAfterMillis: number,
  ): Promise<{ destUrl: string; expiresAt: string }> {
    const expires = Math.floor(
      Math.min(this.#clock.nowMillis() + DOWNLOAD_LINK_TTL_MS, notAfterMillis) / 1000,
    );
    const sig = this.#sign(await this.#keyBytes(), target, String(expires)).toString("base64url");
    const path = `/download/${target.kind}/${fileNameOf(target.id, target.format)}`;
    return {
      destUrl: `${this.#config.publicUrl}${path}?expires=${expires}&sig=${sig}`,
      expiresAt: isoAt(expires * 1000),
    };
  }

  /**
   * Whether `sig` signs `target` until `expires`, as the link carried them. The signature is
   * checked first, in constant time, so an unsigned request learns nothing from the expiry.
   */
  async check(target: DownloadTarget, expires: string, sig: string): Promise<LinkCheck> {
    if (!/^\d{1,12}$/.test(expires) || sig.length !== SIGNATURE_LENGTH || !/^[A-Za-z0-9_-]+$/.test(sig)) {
      return "forged";
    }
    const given = Buffer.from(sig, "base64url");
    // Base64url's last character carries two unused bits: only the canonical spelling is the link.
    if (given.toString("base64url") !== sig) return "forged";
    const wanted = this.#sign(await this.#keyBytes(), target, expires);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return "forged";
    return Number(expires) * 1000 <= this.#clock.nowMillis() ? "expired" : "valid";
  }

  #sign(key: Buffer, target: DownloadTarget, expires: string): Buffer {
    // One field per line; none can hold a line break (the route reads them with patterns).
    return createHmac("sha256", key)
      .update(`veritrail-download-v1\n${target.kind}\n${target.id}\n${target.format}\n${expires}`)
      .digest();
  }

  /** The key, read (or made) once per process; a failed read is tried again at the next link. */
  #keyBytes(): Promise<Buffer> {
    if (this.#config.downloadSecret !== undefined) {
      return Promise.resolve(Buffer.from(this.#config.downloadSecret, "utf8"));
    }
    this.#key ??= this.#store.configs
      .ensureServerSecret(SECRET_NAME, randomBytes(KEY_BYTES), isoAt(this.#clock.nowMillis()))
      .catch((error: unknown) => {
        this.#key = undefined;
        throw error;
      });
    return this.#key;
  }
}
