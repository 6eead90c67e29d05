import { canonicalize, canonicalPublicKey, type EnvelopeError, type StepBudget } from "@veritrail/core";
import { type ErrorField, pointerToken } from "../errors.js";
import type { BodyReader } from "../guards/body-reader.js";
import { MAX_MALFORMED_VALUE_LENGTH, MAX_PUBLIC_KEY_LENGTH, MAX_SIGNATURE_LENGTH } from "../limits.js";
import { searchValuesOf } from "../store/contract/search.js";
import type { ConfigSettings } from "./event-schema.js";
import { validateEvent } from "./event-schema.js";
import type { PreparedEntry } from "./prepared-entry.js";
import type { Redactor } from "./redactor.js";
import { type ServerSigner, signEntry } from "./signer.js";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Everything that decides how one configuration takes in an event, for one token. */
export interface IngestPolicy {
  settings: ConfigSettings;
  /** Set when the configuration signs events the client did not sign. */
  signer?: ServerSigner | undefined;
  /** The token's field restrictions on this configuration: field → allowed values. */
  restrictions?: Record<string, string[]> | undefined;
  /** The configuration's search field numbers (`searchFieldNumbers`), to index each event as stored. */
  fieldNumbers: ReadonlyMap<string, number>;
  /** The configuration's redaction, when it is on. */
  redactor?: Redactor | undefined;
  /** The steps the request's custom redaction patterns may still take, all events together. */
  redactionBudget?: StepBudget | undefined;
}

/**
 * Reads one `{event, signature?, public_key?}` along the ingestion path (architecture "Ingestion
 * path"): validate against the configuration's schema → normalise → keep malformed fields aside
 * if `save_malformed` allows → redact (only when the client did not sign) → server-sign when the
 * configuration asks. Problems are recorded in `body.errors`; the entry is undefined when this
 * entry had any.
 */
export function readEntry(body: BodyReader, policy: IngestPolicy): PreparedEntry | undefined {
  // An entry that is not an object already has its one error; its fields are not reported on.
  if (!body.isObject) return undefined;
  const before = body.errors.length;
  const signature = body.string("signature", {
    max: MAX_SIGNATURE_LENGTH,
    pattern: BASE64,
    patternText: "base64",
  });
  const publicKey = body.string("public_key", { max: MAX_PUBLIC_KEY_LENGTH });
  if (body.has("signature") !== body.has("public_key")) {
    body.errors.push({
      code: "IsDependentOn",
      detail: "signature and public_key must be sent together",
      source: body.at(body.has("signature") ? "public_key" : "signature"),
    });
  }
  const raw = body.raw("event");
  if (raw === undefined) {
    body.errors.push({ code: "FieldRequired", detail: "event is required", source: body.at("event") });
    return undefined;
  }
  const schema = policy.settings.schema;
  const eventPointer = body.at("event");
  const checked = validateEvent(raw, schema, eventPointer);
  let event = checked.event;
  let err: EnvelopeError[] | undefined;
  if (!event) {
    // A field name over the length bound is not kept aside either: it would be stored in `err`.
    const fieldLevel = checked.errors.every(
      (e) => e.source.startsWith(`${eventPointer}/`) && e.code !== "InvalidPropertyName",
    );
    if (schema.save_malformed === "reject" || !fieldLevel || signature !== undefined) {
      // A signed event is kept exactly as signed or not at all: dropping fields would break its signature.
      body.errors.push(...checked.errors);
      return undefined;
    }
    ({ event, err } = keepMalformed(
      raw as Record<string, unknown>,
      checked.errors,
      policy.settings,
      eventPointer,
      policy,
    ));
  }
  checkRestrictions(event, policy.restrictions, eventPointer, body.errors);
  if (body.errors.length > before) return undefined;

  const entry: PreparedEntry = { event };
  if (err) entry.err = err;
  const redactor = policy.redactor;
  if (signature !== undefined && publicKey !== undefined) {
    // Redacting a signed event would break its signature (product-features "Surprises"): the
    // configuration says whether such an event is refused or kept exactly as signed.
    if (redactor?.signedEvents === "reject") {
      const { changed } = redactor.redact(event, policy.redactionBudget);
      for (const field of changed) {
        body.errors.push({
          code: "BadState",
          detail: `this configuration redacts ${field} and refuses client-signed events it would have to redact: redact before signing, or send the event unsigned`,
          source: `${eventPointer}/${pointerToken(field)}`,
        });
      }
      if (changed.length > 0) return undefined;
    }
    entry.signature = signature;
    entry.publicKey = canonicalPublicKey(publicKey);
  } else {
    if (redactor) {
      const { event: redacted, firedBy } = redactor.redact(event, policy.redactionBudget);
      entry.event = redacted;
      if (Object.keys(firedBy).length > 0) entry.redactedBy = firedBy;
    }
    if (policy.signer) signEntry(entry, policy.signer);
  }
  // Indexed as stored: a redacted value is searchable only as what replaced it.
  entry.search = searchValuesOf(entry.event, policy.settings.schema, policy.fieldNumbers);
  return entry;
}

/**
 * `save_malformed: all | unredacted` (product-features §2): the event is stored without its bad
 * fields, and `envelope.err` says what was wrong with each. `unredacted` leaves out the values of
 * fields marked for redaction, so nothing that would have been redacted is kept in the clear.
 */
function keepMalformed(
  raw: Record<string, unknown>,
  errors: ErrorField[],
  settings: ConfigSettings,
  eventPointer: string,
  policy: IngestPolicy,
): { event: NonNullable<PreparedEntry["event"]>; err: EnvelopeError[] } {
  const badFields = new Map<string, ErrorField>();
  for (const error of errors) {
    const field = error.source
      .slice(eventPointer.length + 1)
      .replaceAll("~1", "/")
      .replaceAll("~0", "~");
    if (!badFields.has(field)) badFields.set(field, error);
  }
  const good: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!badFields.has(key)) good[key] = value;
  // Without the bad fields the rest is valid, except for required fields that were bad or absent.
  const relaxed = {
    ...settings.schema,
    fields: settings.schema.fields.map((f) => ({ ...f, required: false })),
  };
  const event = validateEvent(good, relaxed, eventPointer).event ?? {};
  const redacted = new Set(settings.schema.fields.filter((f) => f.redact).map((f) => f.id));
  const err: EnvelopeError[] = [];
  for (const [field, error] of badFields) {
    const note: EnvelopeError = { field, error: `${error.code}: ${error.detail}` };
    const value = Object.hasOwn(raw, field) ? raw[field] : undefined;
    const hideValue = settings.schema.save_malformed === "unredacted" && redacted.has(field);
    if (value !== undefined && value !== null && !hideValue) {
      const text = typeof value === "string" ? value : canonicalize(value);
      // A bad value of a redacted field is redacted like a good one: nothing stored keeps it.
      const { redactor, redactionBudget } = policy;
      const shown =
        redactor && redacted.has(field) ? redactor.redactValue(field, text, redactionBudget) : text;
      note.value = shown.slice(0, MAX_MALFORMED_VALUE_LENGTH);
    }
    err.push(note);
  }
  return { event, err };
}

/** A token limited to some values of a field may only log events carrying one of them. */
function checkRestrictions(
  event: PreparedEntry["event"],
  restrictions: Record<string, string[]> | undefined,
  eventPointer: string,
  errors: ErrorField[],
): void {
  if (!restrictions) return;
  for (const [field, allowed] of Object.entries(restrictions)) {
    const value = event[field];
    if (typeof value !== "string" || !allowed.includes(value)) {
      errors.push({
        code: "NotEnumMember",
        detail: `this token may only log events whose ${field} is one of: ${allowed.join(", ")}`,
        source: `${eventPointer}/${field}`,
      });
    }
  }
}
