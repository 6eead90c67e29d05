import { canonicalPublicKey } from "@veritrail/core";
import type { BodyReader } from "../http/request-body.js";
import type { ConfigRecord } from "../store/store.js";
import { validateEvent } from "./event-schema.js";
import type { PreparedEntry } from "./prepared-entry.js";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads one `{event, signature?, public_key?}`: validates the event against the configuration's
 * schema and normalises it (wire-protocol §5.1). Problems are recorded in `body.errors`; the
 * entry is undefined when this entry had any.
 */
export function readEntry(body: BodyReader, config: ConfigRecord): PreparedEntry | undefined {
  // An entry that is not an object already has its one error; its fields are not reported on.
  if (!body.isObject) return undefined;
  const before = body.errors.length;
  const signature = body.string("signature", { max: 256, pattern: BASE64, patternText: "base64" });
  // The OpenAPI says 256 for public_key, but the SDKs' JSON form with extra key info can pass that.
  const publicKey = body.string("public_key", { max: 1024 });
  if (body.has("signature") !== body.has("public_key")) {
    body.errors.push({
      code: "IsDependentOn",
      detail: "signature and public_key must be sent together",
      source: body.at(body.has("signature") ? "public_key" : "signature"),
    });
  }
  const raw = body.raw("event");
  let event: PreparedEntry["event"] | undefined;
  if (raw === undefined) {
    body.errors.push({ code: "FieldRequired", detail: "event is required", source: body.at("event") });
  } else {
    const checked = validateEvent(raw, config.settings.schema, body.at("event"));
    body.errors.push(...checked.errors);
    event = checked.event;
  }
  if (body.errors.length > before || !event) return undefined;
  const entry: PreparedEntry = { event };
  if (signature !== undefined && publicKey !== undefined) {
    entry.signature = signature;
    entry.publicKey = canonicalPublicKey(publicKey);
  }
  return entry;
}
