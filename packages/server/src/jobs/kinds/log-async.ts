import type { PreparedEntry } from "../../ingest/prepared-entry.js";
import type { Sequencer } from "../../ingest/sequencer.js";
import type { ConfigDirectory } from "../../log/config-directory.js";
import type { AsyncRequestRecord } from "../../store/contract/store.js";
import { type JobKind, PermanentJobError } from "../job-kind.js";

/** The stored work of a `v2/log_async` request: what was validated before the 202. */
export interface LogAsyncPayload {
  entries: PreparedEntry[];
  verbose: boolean;
}

/**
 * `v2/log_async`: appends the accepted events; the request is marked done in the same group
 * commit as its events (`completedRequests` of the batch), so it is done exactly once.
 */
export function logAsyncJob(deps: { sequencer: Sequencer; directory: ConfigDirectory }): JobKind {
  return {
    endpoint: "v2/log_async",
    async run(request: AsyncRequestRecord): Promise<void> {
      let payload: LogAsyncPayload;
      try {
        payload = JSON.parse(request.payload) as LogAsyncPayload;
      } catch (error) {
        throw new PermanentJobError("PayloadUnreadable", "The stored request could not be read", {
          cause: error,
        });
      }
      // A database fault while reading the configuration throws here and is retried; only a
      // configuration that is really gone fails the request.
      const resolved = await deps.directory.find(request.configId);
      if (!resolved) {
        throw new PermanentJobError(
          "ConfigurationDeleted",
          "The configuration of this request no longer exists",
        );
      }
      await deps.sequencer.append(resolved.treeId, {
        entries: payload.entries,
        asyncRequest: { id: request.id, verbose: payload.verbose },
      });
    },
  };
}
