import type { QueryNode, SearchSchema } from "@veritrail/core";
import type { LeafRecord } from "./log.js";

export {
  type SearchRow,
  type SearchValue,
  searchFieldNumbers,
  searchValuesOf,
} from "./search-values.js";

/*
 * The search role of the store: the indexes that answer `v1/search` without scanning a whole
 * configuration, and the result sets that `v1/results` and downloads page through
 * (docs/design/search-index.md). `store/conformance/search.ts` holds both backends to the same
 * answers for the same queries.
 *
 * Index rows are written by `LogStore.appendBatch`, in the append transaction, from
 * `SequencedBatch.searchRows`: an acknowledged event is searchable at once, and a failed append
 * leaves no index entry.
 */

/** How a search orders its results: by `received_at` (= leaf order) or by one schema field. */
export type SearchOrderBy =
  | { kind: "received_at" }
  | {
      kind: "field";
      fieldId: string;
      fieldNo: number;
      type: "string" | "text" | "integer" | "boolean" | "datetime";
    };

/** One search of one tree, restrictions already ANDed into `where` (core `restrictQuery`). */
export interface SearchQuery {
  treeId: number;
  /** The configuration's schema: the fields `where` names, and which fields a free term searches. */
  schema: SearchSchema;
  /** Field id → its number in the index (`searchFieldNumbers`). */
  fieldNumbers: ReadonlyMap<string, number>;
  where: QueryNode;
  /** `received_at` window, microseconds since the epoch, inclusive; undefined is open. */
  startMicros?: number | undefined;
  endMicros?: number | undefined;
  order: "asc" | "desc";
  orderBy: SearchOrderBy;
  /** At most this many leaf indices (`max_results`, ≤ 10,000). */
  limit: number;
}

/** A stored search result: the ids of what matched (not copies of events), for paging by any process. */
export interface ResultSetRecord {
  id: string;
  tokenId: string;
  configId: string;
  treeId: number;
  /** Leaf indices of the matches in answer order. */
  leaves: number[];
  /** The restriction the set was made under (token's and request's), as JSON, for the paging check. */
  restriction: string;
  verbose: boolean;
  /** The tree size the search saw: unpublished proofs of its pages are against the root at this size. */
  treeSize: number;
  createdAt: string;
  expiresAt: string;
}

/** What a search found, and the size of the tree it searched. */
export interface SearchAnswer {
  /** Leaf indices of the matches in the asked order. */
  leaves: number[];
  /**
   * The tree's size as the search read it: every leaf found lies below it, so each has a proof
   * against the root at this size. Read with the window, not after the search: one round trip fewer.
   */
  treeSize: number;
}

export interface SearchStore {
  /**
   * The leaf indices of the events of `query.treeId` that match, in the asked order, at most
   * `query.limit`, among the tree's first `treeSize` leaves. MUST give exactly the events that
   * core's `matchesQuery` accepts (a backend whose index only narrows the candidates checks them
   * against the envelope) and MUST NOT read another tree's events. A selective query MUST NOT
   * scan the whole tree.
   */
  searchLeaves(query: SearchQuery): Promise<SearchAnswer>;
  /** The stored events at these leaf indices, in the order asked; indices without an event are left out. */
  getLeaves(treeId: number, leafIndices: readonly number[]): Promise<LeafRecord[]>;
  createResultSet(set: ResultSetRecord): Promise<void>;
  getResultSet(id: string): Promise<ResultSetRecord | undefined>;
  /** Deletes result sets whose `expiresAt` is before `now` (ISO); returns how many. */
  deleteExpiredResultSets(now: string): Promise<number>;
}
