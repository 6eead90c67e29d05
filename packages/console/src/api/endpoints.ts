import type {
  ConfigList,
  ConfigView,
  CreatedToken,
  DownloadResult,
  PartitionOverridesRequest,
  ResultsResult,
  RootResult,
  RotatedToken,
  SchemaResult,
  SearchResult,
  SessionView,
  TokenList,
  TokenView,
} from "@veritrail/core";
import { call, getText } from "./client.js";

/* One function per endpoint the console calls; each names the path once. */

export const session = {
  create: (token: string) => call<SessionView>("/v1/session/create", { token }),
  get: () => call<SessionView>("/v1/session", undefined, "GET"),
  end: () => call<Record<string, never>>("/v1/session/end", {}),
};

export const configs = {
  list: async () => (await call<ConfigList>("/v1beta/config/list", { size: 1000 })).items,
  get: (id: string) => call<ConfigView>("/v1beta/config", { id }),
  create: (body: Record<string, unknown>) => call<ConfigView>("/v1beta/config/create", body),
  update: (body: Record<string, unknown>) => call<ConfigView>("/v1beta/config/update", body),
  delete: (id: string) => call<unknown>("/v1beta/config/delete", { id }),
  rotateKey: (id: string) => call<ConfigView>("/v1beta/config/signing_key/rotate", { id }),
  /** Sets each tenant's override given; `null` removes one (docs/design/retention.md). */
  partitionOverrides: (id: string, overrides: PartitionOverridesRequest["overrides"]) =>
    call<ConfigView>("/v1beta/config/partition_overrides", { id, overrides }),
};

export const tokens = {
  list: async () => (await call<TokenList>("/v1/admin/token/list", {})).items,
  create: (body: Record<string, unknown>) => call<CreatedToken>("/v1/admin/token/create", body),
  update: (body: Record<string, unknown>) => call<TokenView>("/v1/admin/token/update", body),
  extend: (id: string, configId: string) =>
    call<TokenView>("/v1/admin/token/extend", { id, service: "audit", config_id: configId }),
  rotate: (id: string, gracePeriod: string) =>
    call<RotatedToken>("/v1/admin/token/rotate", { id, grace_period: gracePeriod }),
  revoke: (id: string) => call<TokenView>("/v1/admin/token/revoke", { id }),
};

export const audit = {
  schema: (configId: string) => call<SchemaResult>("/v1/schema", { config_id: configId }),
  root: (configId: string, treeSize?: number) =>
    call<RootResult>("/v1/root", { config_id: configId, ...(treeSize ? { tree_size: treeSize } : {}) }),
  search: (body: Record<string, unknown>) => call<SearchResult>("/v1/search", { verbose: true, ...body }),
  results: (body: { id: string; limit: number; offset: number; config_id: string }) =>
    call<ResultsResult>("/v1/results", body),
  downloadResults: (body: { result_id: string; format: "csv" | "json"; config_id: string }) =>
    call<DownloadResult>("/v1/download_results", body),
};

export const checkpoints = {
  verifierKey: () => getText("/trees/verifier-key"),
  note: (treeName: string, size: number) =>
    getText(`/trees/${encodeURIComponent(treeName)}/checkpoint/${size}`),
};
