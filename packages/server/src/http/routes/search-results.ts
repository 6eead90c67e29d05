import type { FieldRestrictions } from "@veritrail/core";
import { type AuditEndpoint, resolveConfig } from "../../auth/resolve-config.js";
import { ApiError, clip } from "../../errors.js";
import type { ResolvedConfig } from "../../log/config-directory.js";
import { type ErasedMember, erasedFieldsOf } from "../../log/erased-record.js";
import {
  type PublishedRootJson,
  proveRecords,
  provingRoots,
  publishedRootJson,
  type UnpublishedRootJson,
} from "../../log/published.js";
import type { Services } from "../../services.js";
import type { CheckpointRecord } from "../../store/contract/checkpoint.js";
import { erasureOf } from "../../store/contract/erasure.js";
import type { LeafRecord } from "../../store/contract/log.js";
import type { ResultSetRecord } from "../../store/contract/search.js";
import type { TokenRecord } from "../../store/contract/store.js";
import { grantableConfigIds } from "./data-plane.js";
import { type NormalizedRestriction, normalizeRestriction, sameRestriction } from "./search-request.js";

/*
 * Result sets (wire-protocol §4.3): who may read one, and how a page of it is shown. `v1/results`
 * pages a set; `v1/download_results` reads one whole through the same `openResultSet`, so the two
 * cannot disagree on who may read what.
 */

/** What a result set records of the restrictions it was made under (`ResultSetRecord.restriction`). */
export interface SetRestriction {
  /** The token's field restrictions for the configuration when the search ran. */
  token: NormalizedRestriction;
  /** The request's `search_restriction`, as `assert_search_restriction` is compared with it. */
  request: NormalizedRestriction;
}

/** The token's field restrictions on a configuration, normalised. */
export function tokenRestriction(token: TokenRecord, configId: string): NormalizedRestriction {
  return normalizeRestriction(token.grants.audit?.field_restrictions?.[configId], { keepEmpty: true });
}

function notFound(id: string): ApiError {
  return new ApiError("NotFound", `No search result ${clip(id)} (or it has expired)`, [
    { code: "DoesNotExist", detail: "no live search result has this id", source: "/id" },
  ]);
}

/**
 * The result set `id` if `token` may read it on `endpoint`, or the refusal:
 * - an id never made, or expired: `NotFound` at `/id`;
 * - a set another token made: `Unauthorized` (a set is its maker's, as an async request is);
 * - a grant that no longer reaches the set's configuration on `endpoint`, or whose field
 *   restrictions on it are no longer exactly those the set was made under: `Unauthorized`. A
 *   restriction changed either way refuses: narrower, the set holds events the token may no
 *   longer read; wider, the token should search again to see what it may now read;
 * - `configId` (the request's `config_id`) covered by the grant but not the set's: `NotFound`;
 * - `assertRestriction` that differs from the search's `search_restriction`: `ValidationError`
 *   (`BadState` at `/assert_search_restriction`).
 * A token without `endpoint` in its grant is refused before the id is looked up, so it cannot
 * learn which ids exist.
 */
/** Refuses a token whose audit grant does not list `endpoint` (resolveConfig checks the same, later). */
export function requireEndpoint(token: TokenRecord, endpoint: AuditEndpoint): void {
  const grant = token.grants.audit;
  if (!grant || (grant.endpoints && !grant.endpoints.includes(endpoint))) throw ApiError.unauthorized();
}

export async function openResultSet(
  services: Services,
  token: TokenRecord,
  endpoint: AuditEndpoint,
  options: { id: string; configId?: unknown; assertRestriction?: FieldRestrictions | undefined },
): Promise<{ set: ResultSetRecord; resolved: ResolvedConfig }> {
  const { store, directory, clock } = services;
  requireEndpoint(token, endpoint);
  const set = await store.search.getResultSet(options.id);
  if (!set || Date.parse(set.expiresAt) <= clock.nowMillis()) throw notFound(options.id);
  if (set.tokenId !== token.id) throw ApiError.unauthorized();
  const projectConfigIds = await grantableConfigIds(services, token);
  const requested = options.configId ?? set.configId;
  if (resolveConfig(token, endpoint, requested, projectConfigIds) !== set.configId)
    throw notFound(options.id);
  const resolved = await directory.get(set.configId);

  const made = JSON.parse(set.restriction) as SetRestriction;
  if (!sameRestriction(made.token, tokenRestriction(token, set.configId))) throw ApiError.unauthorized();
  if (
    options.assertRestriction !== undefined &&
    !sameRestriction(made.request, normalizeRestriction(options.assertRestriction))
  ) {
    throw ApiError.validation([
      {
        code: "BadState",
        detail: "the search was made with a different search_restriction",
        source: "/assert_search_restriction",
      },
    ]);
  }
  return { set, resolved };
}

/** One event of a search answer (wire-protocol §4.3 SearchEvent). */
export interface SearchEvent {
  /** Absent for an erased record (log/erased-record.ts). */
  envelope?: unknown;
  hash: string;
  /** On a published record, and on an erased one whether published or not. */
  leaf_index?: number;
  erased?: ErasedMember;
  membership_proof?: string;
  published?: boolean;
}

/**
 * The events at `leafIndices` as a search answer shows them, in that order. Not verbose: only
 * `envelope` and `hash`, and no root, so the SDKs check no proof ("none"). Verbose: each event
 * with its membership proof, proved as log/published.ts says: a record below the latest
 * checkpoint is `published: true` with its `leaf_index` and proved against `root` (that
 * checkpoint); a newer one is `published: false`, without `leaf_index`, and proved against
 * `unpublished_root` (the root at `treeSize`, the size the search saw), which is sent only when
 * `treeSize` lies above the checkpoint.
 */
export async function renderEvents(
  services: Services,
  tree: { treeId: number; treeName: string },
  leafIndices: readonly number[],
  verbose: boolean,
  treeSize: number,
  options: {
    /** Which of the stored records may be shown (the others are left out). */
    visible?: (leaf: LeafRecord) => boolean;
    /** The latest checkpoint, read before `treeSize` was (`provingRoots`). */
    latestCheckpoint?: Promise<CheckpointRecord | undefined>;
  } = {},
): Promise<{ events: SearchEvent[]; root?: PublishedRootJson; unpublished_root?: UnpublishedRootJson }> {
  const { store } = services;
  const { visible, latestCheckpoint } = options;
  const prove = verbose && treeSize > 0;
  // The events and their proofs need only the indices: both are read at once.
  const [stored, proved] = await Promise.all([
    leafIndices.length === 0 ? [] : store.search.getLeaves(tree.treeId, leafIndices),
    prove
      ? provingRoots(store, tree.treeId, treeSize, latestCheckpoint).then(async (roots) => ({
          roots,
          ...(await proveRecords(store, tree.treeId, leafIndices, roots)),
        }))
      : undefined,
  ]);
  // A result set made before its events expired no longer shows them (docs/design/retention.md).
  const leaves = stored.filter(
    (leaf) => erasureOf(leaf.envelope)?.reason !== "expired" && (visible === undefined || visible(leaf)),
  );
  const events: SearchEvent[] = leaves.map((leaf) => {
    const erased = erasedFieldsOf(leaf);
    return erased
      ? { hash: leaf.hash.toString("hex"), ...erased }
      : { envelope: JSON.parse(leaf.envelope), hash: leaf.hash.toString("hex") };
  });
  if (!proved) return { events };

  const { roots, unpublishedRootHash } = proved;
  const proofOf = new Map(proved.proofs.map((proof) => [proof.leafIndex, proof]));
  leaves.forEach((leaf, i) => {
    const proof = proofOf.get(leaf.leafIndex)!;
    const event = events[i]!;
    if ("proof" in proof) event.membership_proof = proof.proof;
    event.published = proof.published;
    if (proof.published) event.leaf_index = proof.leafIndex;
  });
  return {
    events,
    ...(roots.checkpoint
      ? { root: publishedRootJson(services.config.publicUrl, tree.treeName, roots.checkpoint) }
      : {}),
    ...(roots.unpublishedSize !== undefined && unpublishedRootHash
      ? {
          unpublished_root: {
            tree_name: tree.treeName,
            size: roots.unpublishedSize,
            root_hash: unpublishedRootHash.toString("hex"),
          },
        }
      : {}),
  };
}
