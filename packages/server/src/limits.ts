/*
 * Every bound the server puts on what a caller sends, in one place (conventions §6: sizes and
 * counts are bounded before work is done). Each says where it comes from: the OpenAPI spec
 * (reference/pangea-audit.openapi.json), the wire protocol, or the reason it is what it is.
 * The byte size of a body is not here: operators set it (`VERITRAIL_MAX_BODY_BYTES`, config.ts).
 */

// ---- Authentication --------------------------------------------------------------------------

/**
 * Longest bearer secret read from `Authorization`. Our secrets are `pts_` + 36 characters and
 * the SDKs send any opaque string (wire-protocol §2.1); 512 leaves room for foreign token formats
 * while keeping the hashed input small.
 */
export const MAX_BEARER_LENGTH = 512;

// ---- The shape of a JSON body, checked right after parsing (guards/json-shape.ts) -------------

/**
 * Deepest nesting of objects and arrays in a body, the body itself being level 1. A bulk event
 * sits at level 4 (body → events → entry → event), so 32 leaves 28 levels for a structured
 * `new` or `old` value, far more than a real audit record nests; it also keeps every recursive
 * walk over an event (canonicalisation, hashing) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Most members of one JSON object. An event has at most `MAX_SCHEMA_FIELDS` fields and no
 * request object has more than a dozen, so 1000 is ten times the widest legitimate object,
 * while an object of 20,000 unknown keys is refused with one error instead of 20,000.
 */
export const MAX_JSON_OBJECT_KEYS = 1000;

/**
 * Most JSON values (objects, arrays and scalars) in one body. The widest conforming request,
 * `MAX_BULK_EVENTS` events of a `MAX_SCHEMA_FIELDS`-field schema with signatures, holds about
 * 104,000; 250,000 leaves room for structured `new`/`old` values and bounds the per-value work
 * (validation, pointers, errors) whatever byte size the operator allows.
 */
export const MAX_JSON_VALUES = 250_000;

/**
 * Longest field name, in UTF-16 units, of a request object or an event. Schema field ids are at
 * most `MAX_SCHEMA_FIELD_ID_LENGTH` characters and request fields are short, so a longer name is
 * never a field: it is refused before it is stored, hashed or echoed.
 */
export const MAX_FIELD_NAME_LENGTH = 128;

// ---- Error answers (errors.ts) ----------------------------------------------------------------

/**
 * Most entries of `result.errors`; one more entry says how many were left out. A hundred
 * problems are more than anyone fixes in one go, and the answer stays a few kilobytes however
 * many a request had.
 */
export const MAX_ERRORS_PER_ANSWER = 100;

/**
 * Longest caller-supplied text (a field name, an id) echoed in an error's `detail` or in one
 * reference token of its `source` pointer; longer text is cut here and ends with an ellipsis.
 */
export const MAX_ECHO_LENGTH = 64;

/** Longest `detail` of one error: a backstop for details that list trusted values (grants, enums). */
export const MAX_ERROR_DETAIL_LENGTH = 512;

// ---- Writing events (wire-protocol §4.1–4.2) --------------------------------------------------

/** Most events in one `v2/log` or `v2/log_async` request (OpenAPI `AuditLogRequestV2.events` maxItems). */
export const MAX_BULK_EVENTS = 1000;

/** Longest `signature` (OpenAPI `AuditLogRequest.signature` maxLength). */
export const MAX_SIGNATURE_LENGTH = 256;

/**
 * Longest `public_key`. The OpenAPI says 256, but the SDKs' JSON form with extra key info
 * (`{"algorithm": …, "key": …}`) can pass that.
 */
export const MAX_PUBLIC_KEY_LENGTH = 1024;

/** Length of `prev_root`: a SHA-256 root hash in hex (OpenAPI `AuditLogRequest.prev_root` pattern). */
export const ROOT_HASH_HEX_LENGTH = 64;

/**
 * Longest value kept in `envelope.err` for a malformed field under `save_malformed` (product-features
 * §2): enough to see what was sent, without storing the whole bad value a second time.
 */
export const MAX_MALFORMED_VALUE_LENGTH = 1024;

// ---- Field sizes of the standard schema (OpenAPI `AuditEvent`, maxLength per field) -----------

/** `message`, `new` and `old`. */
export const AUDIT_TEXT_FIELD_SIZE = 32766;

/** `actor`, `source`, `target`, `tenant_id`; also `timestamp`, as the standard schema shows it. */
export const AUDIT_NAME_FIELD_SIZE = 128;

/** `action` and `status`. */
export const AUDIT_CODE_FIELD_SIZE = 32;

// ---- The admin API (v1beta/config…, v1/admin/token/…) -----------------------------------------

/** Most fields of one configuration's schema: ten times the standard schema's ten. */
export const MAX_SCHEMA_FIELDS = 100;

/** Longest schema field id (lower-case snake case); the standard ids are at most 9 characters. */
export const MAX_SCHEMA_FIELD_ID_LENGTH = 32;

/** Most configurations one token grant lists by id; a grant for more says `"all"`. */
export const MAX_GRANT_CONFIGS = 100;

/**
 * Longest id or time stamp a route reads before looking it up: our ids are a 3-letter prefix,
 * `_` and 32 characters, time stamps are ISO 8601; 64 is room for either, and no more.
 */
export const MAX_ID_LENGTH = 64;

/** Longest name of a configuration or a token. */
export const MAX_NAME_LENGTH = 128;

/** Longest `order` of a list or a saved search: `asc` or `desc`. */
export const MAX_ORDER_LENGTH = 4;

/** Longest `order_by` of `v1beta/config/list`: `id`, `created_at` or `updated_at`. */
export const MAX_CONFIG_ORDER_BY_LENGTH = 16;

/** Most configurations on one page of `v1beta/config/list`; a larger list takes more pages. */
export const MAX_LIST_SIZE = 1000;

/** Configurations on one page of `v1beta/config/list` when the request names no `size`. */
export const DEFAULT_LIST_SIZE = 50;

/** Most ids in an `id__in` or `id__contains` list filter, each at most `MAX_ID_LENGTH`: as many as a grant lists. */
export const MAX_ID_FILTER_VALUES = 100;

/** Longest `service` of a token extend; the one service is `audit`. */
export const MAX_SERVICE_NAME_LENGTH = 32;

/** How long a rotated-out secret keeps working when the request names no grace period: a day, in seconds. */
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

/** Most allowed values of one field restriction in a token grant. */
export const MAX_RESTRICTED_VALUES = 100;

/** Longest allowed value of a field restriction; the actor, tenant and similar values it matches are far shorter. */
export const MAX_RESTRICTED_VALUE_LENGTH = 256;

/** Largest `size` of a schema field: the largest standard field, `message` (`AUDIT_TEXT_FIELD_SIZE`). */
export const MAX_SCHEMA_FIELD_SIZE = AUDIT_TEXT_FIELD_SIZE;

/** Longest schema field `type`; the type names are at most 9 characters. */
export const MAX_SCHEMA_FIELD_TYPE_LENGTH = 32;

/** Longest display `name` of a schema field. */
export const MAX_SCHEMA_FIELD_NAME_LENGTH = 64;

/** Longest `description` of a schema field (Pangea's 255-character description). */
export const MAX_SCHEMA_FIELD_DESCRIPTION_LENGTH = 255;

/** Longest `save_malformed`: `reject`, `all` or `unredacted`. */
export const MAX_SAVE_MALFORMED_LENGTH = 16;

/** Longest redaction `mask`, the text a redacted value is shown as (`****` by default). */
export const MAX_REDACTION_MASK_LENGTH = 32;

/** Most redaction rules per configuration: each runs over every redacted field of every event. */
export const MAX_REDACTION_RULES = 32;

/** Longest redaction rule name; names are recorded in every envelope a rule changes. */
export const MAX_REDACTION_RULE_NAME_LENGTH = 64;

/** Longest redaction label (`EMAIL_ADDRESS`): it is written into stored values. */
export const MAX_REDACTION_LABEL_LENGTH = 32;

/** Longest custom redaction pattern, in characters. */
export const MAX_REDACTION_PATTERN_LENGTH = 512;

/**
 * Most instructions a custom pattern may compile to. A scan of a value costs at most this many
 * steps per character (core linear-regex.ts), so it bounds the cost of a rule per stored byte.
 */
export const MAX_REDACTION_PATTERN_INSTRUCTIONS = 512;

/**
 * Steps all custom redaction patterns may take over one ingest request's events together. A
 * step costs tens of nanoseconds, so this keeps the worst request under about a second of one
 * core; past it, each further pattern is cut off and fails closed (its value is redacted whole).
 */
export const MAX_REDACTION_STEPS_PER_REQUEST = 20_000_000;

/**
 * Hex characters of the keyed hash a `hash` rule writes (HMAC-SHA-256, truncated): 80 bits keep
 * equal values equal and unequal ones apart for any realistic log, at a third of the full length.
 */
export const REDACTION_HASH_HEX_LENGTH = 20;

/** Most saved searches in a configuration's `ui_metadata`. */
export const MAX_SAVED_SEARCHES = 50;

/** Longest `title` of a saved search. */
export const MAX_SAVED_SEARCH_TITLE_LENGTH = 128;

/** Longest `query` of a saved search: room for a long search expression. */
export const MAX_SAVED_SEARCH_QUERY_LENGTH = 4096;

/** Longest `start` or `end` of a saved search: a date-time or a relative duration. */
export const MAX_SAVED_SEARCH_TIME_LENGTH = 128;

/** Longest `order_by` of a saved search: a field id, with room to spare. */
export const MAX_SAVED_SEARCH_ORDER_BY_LENGTH = 64;

// ---- Search and result paging (wire-protocol §4.3, product-features §4–5) ---------------------

/** Most matches one search keeps, and the largest `max_results` (OpenAPI `max_results` maximum). */
export const MAX_SEARCH_RESULTS = 10_000;

/** Events on the first page of a search, or on a page of `v1/results`, when `limit` is not sent (the SDKs' default). */
export const DEFAULT_SEARCH_PAGE_SIZE = 20;

/**
 * Most events on one page of `v1/search` or `v1/results`. The OpenAPI sets no bound; an envelope
 * may hold about 100 KB (`message`, `new` and `old` at `AUDIT_TEXT_FIELD_SIZE` each), so 1000
 * keeps one answer near 100 MB at worst while a client pages a full result set in ten calls.
 */
export const MAX_SEARCH_PAGE_SIZE = 1000;

/** How far back a search looks when the request names no `start`: 14 days (the OpenAPI's default). */
export const DEFAULT_SEARCH_WINDOW_SECONDS = 14 * 86_400;

/**
 * How long a result set can be paged when the configuration names no `query_result_retention`:
 * two days (product-features §4 "Result caching").
 */
export const DEFAULT_RESULT_RETENTION_SECONDS = 2 * 86_400;

/** Longest `start` or `end` of a search: an RFC 3339 date-time (35 with nanoseconds and a zone) or a duration. */
export const MAX_SEARCH_TIME_LENGTH = 64;

/** Longest `order_by`: a schema field id (`MAX_SCHEMA_FIELD_ID_LENGTH`) or `received_at`. */
export const MAX_SEARCH_ORDER_BY_LENGTH = 64;

/**
 * Most values of one field of a request's `search_restriction`: as many as a token's field
 * restriction may list (`MAX_RESTRICTED_VALUES`), each at most `MAX_RESTRICTED_VALUE_LENGTH`.
 */
export const MAX_SEARCH_RESTRICTION_VALUES = MAX_RESTRICTED_VALUES;

/**
 * How long a console session lasts after sign-in: 8 hours, one working day, so a browser left
 * signed in overnight asks again; it is a fixed lifetime, not renewed by use, so a stolen cookie
 * stops working on its own.
 */
export const SESSION_TTL_SECONDS = 8 * 3600;

/**
 * How long an ended or expired session row is kept before it is deleted: one day, so that a
 * replayed cookie still meets its ended row (and a clear refusal) for a while after sign-out.
 */
export const SESSION_ROW_RETENTION_SECONDS = 86_400;

/** Longest `Cookie` header the session lookup reads; browsers send a few KB at most. */
export const MAX_COOKIE_HEADER_LENGTH = 8192;
/**
 * Subtree hashes each store keeps in memory for proofs (store/contract/node-cache.ts). A stored
 * subtree never changes, so the cache is never stale; the upper nodes are shared by the proofs of
 * every page. 65,536 hashes are about 10 MB with their keys, and hold every kept node (level 4 and
 * up) of a 1,000,000-leaf tree.
 */
export const NODE_CACHE_ENTRIES = 65_536;

// ---- Publishing and anchors (publish/, docs/design/publishing.md) -------------------------------

/**
 * How long a publisher holds a tree's lease while it publishes. Publishing one checkpoint is a
 * few reads, a hash fold and a signature (milliseconds); 30 s is far beyond that even on a busy
 * database, and is what publishing a tree waits at most after a process died holding it.
 */
export const PUBLISH_LEASE_MS = 30_000;

/**
 * The longest the publisher waits between two looks at the trees: how late a tree that crossed
 * `VERITRAIL_PUBLISH_EVERY_EVENTS` may be published. One indexed query per look.
 */
export const PUBLISH_POLL_MS = 1000;

/**
 * How long an anchor may hold a tree's lease while it delivers: long enough for
 * `ANCHOR_BATCH` deliveries of `ANCHOR_TIMEOUT_MS` each.
 */
export const ANCHOR_LEASE_MS = 120_000;

/** Most checkpoints one anchor delivers for one tree in one pass; the rest wait for the next. */
export const ANCHOR_BATCH = 10;

/**
 * How long one delivery to a webhook or another audit log may take before it counts as failed
 * (and is retried with backoff): a witness that does not answer in 10 s is down.
 */
export const ANCHOR_TIMEOUT_MS = 10_000;

/** Longest error text kept in an anchor's state: enough for an HTTP status and a summary. */
export const MAX_ANCHOR_ERROR_LENGTH = 500;
// ---- Admin activity and erasure (docs/design/admin-activity.md, docs/design/erasure.md) ------

/**
 * Longest change summary (`old`, `new`) of one admin activity event, in characters. A whole
 * configuration document fits (a hundred-field schema is about 10,000), and the event stays far
 * below the text field's `AUDIT_TEXT_FIELD_SIZE`; a longer change records only its key names.
 */
export const MAX_ACTIVITY_CHANGE_LENGTH = 16_384;

/**
 * How many times an admin activity event is appended before it is queued as a job instead: one
 * retry covers a lost connection, more would only hold the admin's answer on an outage.
 */
export const ACTIVITY_APPEND_ATTEMPTS = 2;

/**
 * How long the result of a queued admin activity record is kept once its job appended it: a
 * week, so an operator looking into the warning that queued it still finds it. Nobody polls it;
 * a pending request is never purged, whatever this says.
 */
export const ACTIVITY_JOB_RESULT_TTL_MS = 7 * 86_400_000;

/**
 * Most events one erasure request erases, and its default. An erasure is one transaction that
 * rewrites each event's row and deletes its index rows, and its activity record lists every leaf;
 * 1000 keeps both small (the list under 16 KB), like a bulk append. More takes several requests,
 * each recorded.
 */
export const MAX_ERASURE_EVENTS = 1000;

/**
 * How an erasure of a log with a cold archive waits for the `retention` lease (it rewrites day
 * files only under it): 50 tries 100 ms apart, five seconds, beyond a pass's usual length on a
 * quiet log, short enough for an HTTP request; a longer pass answers `Conflict` and nothing is
 * erased.
 */
export const ERASURE_LEASE_ATTEMPTS = 50;
export const ERASURE_LEASE_RETRY_MS = 100;

/** Longest `reason` of an erasure: a reference to the person's request, not the request itself. */
export const MAX_ERASURE_REASON_LENGTH = 256;

/**
 * Retention (docs/design/retention.md). How many events one expiry transaction tombstones: each
 * is one row update and its index deletions, so a batch holds the SQLite writer (or the locked
 * PostgreSQL rows) for milliseconds, and ingestion and search go on between batches.
 */
export const RETENTION_BATCH_EVENTS = 500;
/**
 * How long the retention lease lasts without renewal (it is renewed after every batch): a batch
 * takes milliseconds, so a minute is far beyond it, and is the longest the job waits after a
 * process died holding it.
 */
export const RETENTION_LEASE_MS = 60_000;
/**
 * How often each process tries the retention pass. Durations are counted in seconds at the
 * least and usually days, so a minute late is no loss; a pass with nothing due is one indexed
 * read per configuration.
 */
export const RETENTION_POLL_MS = 60_000;

/**
 * Most per-tenant retention overrides of one configuration (`v1beta/config/partition_overrides`).
 * Every search ANDs one clause per override into its query (the per-partition clamp) and every
 * retention pass walks each overridden partition on its own, so both grow with this count; the
 * overrides live in the configuration document, read on every request. 100 is far more tenants
 * with a contract of their own than one configuration serves, and keeps that clause small.
 */
export const MAX_PARTITION_OVERRIDES = 100;

/**
 * Longest partition value an override names, beyond the partitioned field's own `size`: the
 * search index keys the first 256 characters of a value (search-index.md), so an override of
 * at most 256 finds its events by an exact index lookup. Tenant ids are far shorter.
 */
export const MAX_PARTITION_VALUE_LENGTH = 256;
