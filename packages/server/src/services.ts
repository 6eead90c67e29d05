import type { IdGenerator } from "@veritrail/core";
import type { AdminActivityLog } from "./admin/activity-log.js";
import type { Authenticator } from "./auth/authenticator.js";
import type { Clock } from "./clock.js";
import type { ServerConfig } from "./config.js";
import type { Sequencer } from "./ingest/sequencer.js";
import type { ConfigDirectory } from "./log/config-directory.js";
import type { PublishingView } from "./publish/publishing.js";
import type { Store } from "./store/contract/store.js";

/**
 * A nudge to the background jobs: work was just stored (an async request, later an export), so
 * look for it now instead of at the next poll. The job runner implements it; the HTTP layer only
 * sees this, so routes never import a job.
 */
export interface JobSignal {
  wake(): void;
}

/**
 * Everything the HTTP layer and the jobs are given, built once at start by `main.ts` and passed
 * in (conventions §4: no module state). It imports no route and no job.
 */
export interface Services {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly sequencer: Sequencer;
  readonly authenticator: Authenticator;
  readonly directory: ConfigDirectory;
  readonly clock: Clock;
  /** Makes every id of the process (request ids, configuration ids, …) from one random pool. */
  readonly ids: IdGenerator;
  readonly jobs: JobSignal;
  /** The checkpoint verifier key and the anchors' state (publish/). */
  readonly publishing: PublishingView;
  /** Writes each committed admin action to the project's admin activity log (`recordAdminActivity`). */
  readonly activity: AdminActivityLog;
}
