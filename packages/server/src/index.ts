/** `@veritrail/server`: the service, for embedding and for tests. */
export { loadConfig, type ServerConfig } from "./config.js";
export { createService, type Service, startServer } from "./server.js";
export { SqliteStore } from "./store/sqlite-store.js";
export type { Store } from "./store/store.js";
