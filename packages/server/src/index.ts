/** `@veritrail/server`: the service, for embedding and for tests. */
export { ConfigError, loadConfig, type ServerConfig } from "./config.js";
export { STANDARD_SCHEMA } from "./ingest/event-schema.js";
export { createService, type Service, startServer } from "./main.js";
export type { Store } from "./store/contract/store.js";
export { SqliteStore } from "./store/sqlite/sqlite-store.js";
