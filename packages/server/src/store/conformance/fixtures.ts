import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach } from "node:test";
import {
  canonicalEnvelope,
  type Envelope,
  formatReceivedAt,
  type MerkleNode,
  newId,
  type SearchSchema,
  sha256,
} from "@veritrail/core";
import { type SearchRow, searchFieldNumbers, searchValuesOf } from "../contract/search.js";
import type { ConfigSettings, LeafRecord, SequencedBatch, SequencerHead, Store } from "../contract/store.js";

/*
 * What the conformance suites share. They sit at the rank of the backends (test/architecture.test.ts),
 * so they see only the store contract and the core: the batches they append are built here, the way
 * the sequencer builds them, and times are constants, so no case depends on the clock.
 */

/** Opens a new, empty, unmigrated store; its `close` also removes what it wrote. */
export type OpenStore = () => Promise<Store>;

/** An ISO time for `created_at` and the like. */
export const NOW = "2026-01-01T00:00:00.000Z";

/** A time in milliseconds since the epoch, for leases and claims. */
export const T = 1_800_000_000_000;

/**
 * Gives each case of the calling `describe` a store of its own, opened and migrated before it and
 * closed after it, so that no case sees what another left (a pending request, a lease).
 */
export function useFreshStore(open: OpenStore): () => Store {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    assert.ok(store, "the store is open only while a case runs");
    return store;
  };
}

/** Settings with a field of each kind of value, so that a round trip through JSON(B) shows. */
export function sampleSettings(): ConfigSettings {
  return {
    version: 3,
    schema: {
      fields: [
        { id: "message", name: "Message", type: "string", size: 32766, required: true },
        { id: "actor", type: "string", size: 256, redact: true, ui_default_visible: false },
        { id: "count", type: "integer" },
      ],
      save_malformed: "reject",
    },
    hot_storage: "14d",
    vault_sign: false,
    redaction: { enabled: true, mask: "*" },
    ui_metadata: { saved_searches: [{ name: "logins", query: "action:login" }] },
  };
}

/** A new random public tree name: 64 hex. */
export function newTreeName(): string {
  return randomBytes(32).toString("hex");
}

/** A project with one configuration and its empty tree. */
export async function seedTree(
  store: Store,
): Promise<{ configId: string; treeId: number; projectId: string }> {
  const projectId = newId("ppj");
  await store.configs.createProject({ id: projectId, name: "p", createdAt: NOW });
  const configId = newId("pci");
  await store.configs.createConfig(
    { id: configId, projectId, name: "c", settings: sampleSettings(), createdAt: NOW, updatedAt: NOW },
    newTreeName(),
  );
  const head = await store.log.getTreeHead(configId);
  assert.ok(head);
  return { configId, treeId: head.id, projectId };
}

/**
 * The batch the sequencer would build over `head` for `count` events `{ message: "<tag>-<i>" }`:
 * leaf indexes from the head's size, `received_at` strictly increasing from the head's last
 * (`nowMicros` standing still yields the last plus one), each leaf folded into the head's right
 * edge. With `completes`, the batch finishes that async request with the `v2/log` result.
 */
export function sequenceEvents(
  head: SequencerHead,
  count: number,
  options: { tag: string; nowMicros: number; completes?: string },
): SequencedBatch {
  const leaves: LeafRecord[] = [];
  const nodes: MerkleNode[] = [];
  const results: { hash: string; envelope: Envelope }[] = [];
  let last = head.lastReceivedAt;
  for (let i = 0; i < count; i++) {
    const receivedAt = Math.max(options.nowMicros, last + 1);
    last = receivedAt;
    const envelope: Envelope = {
      event: { message: `${options.tag}-${i}` },
      received_at: formatReceivedAt(receivedAt),
    };
    const text = canonicalEnvelope(envelope);
    const hash = sha256(text);
    for (const node of head.range.append(hash)) if (node.level > 0) nodes.push(node);
    leaves.push({ leafIndex: head.size + i, receivedAt, hash, envelope: text });
    results.push({ hash: hash.toString("hex"), envelope });
  }
  const rootHash = head.range.root();
  assert.ok(rootHash && count > 0, "a batch has at least one event");
  const completedRequests =
    options.completes === undefined ? [] : [{ id: options.completes, result: JSON.stringify({ results }) }];
  return {
    leaves,
    nodes,
    size: head.size + count,
    rootHash,
    lastReceivedAt: last,
    completedRequests,
    searchRows: [],
  };
}

/**
 * The batch the sequencer would build over `head` for `events`, each with its `received_at`
 * (microseconds, rising), and with the search rows ingest writes for it under `schema`.
 */
export function sequenceIndexedEvents(
  head: SequencerHead,
  events: readonly { event: Readonly<Record<string, string | number | boolean>>; receivedAt: number }[],
  schema: SearchSchema,
): SequencedBatch {
  const numbers = searchFieldNumbers(schema);
  const leaves: LeafRecord[] = [];
  const nodes: MerkleNode[] = [];
  const searchRows: SearchRow[] = [];
  events.forEach(({ event, receivedAt }, n) => {
    const leafIndex = head.size + n;
    const envelope = canonicalEnvelope({ event, received_at: formatReceivedAt(receivedAt) });
    const hash = sha256(envelope);
    for (const node of head.range.append(hash)) if (node.level > 0) nodes.push(node);
    leaves.push({ leafIndex, receivedAt, hash, envelope });
    for (const value of searchValuesOf(event, schema, numbers)) searchRows.push({ ...value, leafIndex });
  });
  const rootHash = head.range.root();
  assert.ok(rootHash && events.length > 0, "a batch has at least one event");
  return {
    leaves,
    nodes,
    size: head.size + events.length,
    rootHash,
    lastReceivedAt: leaves.at(-1)!.receivedAt,
    completedRequests: [],
    searchRows,
  };
}

/** Stores an async request of `v2/log_async` and returns its id. */
export async function createRequest(
  store: Store,
  configId: string,
  state: "pending" | "done" = "pending",
  expiresAt = "2999-01-01T00:00:00.000Z",
): Promise<string> {
  const id = newId("prq");
  await store.jobs.createAsyncRequest({
    id,
    tokenId: "ptk_x",
    configId,
    endpoint: "v2/log_async",
    state,
    payload: "{}",
    createdAt: NOW,
    expiresAt,
  });
  return id;
}
