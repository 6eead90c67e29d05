import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { ServerConfig } from "../config.js";
import type { Store } from "../store/contract/store.js";
import { AnchorRunner, type RetryDelay } from "./anchor-runner.js";
import type { Anchor } from "./anchors/anchor.js";
import { AuditLogAnchor } from "./anchors/audit-log.js";
import { DirectoryAnchor } from "./anchors/directory.js";
import { WebhookAnchor } from "./anchors/webhook.js";
import { checkpointSigner, loadCheckpointKey } from "./checkpoint-key.js";
import { type CheckpointSigner, Publisher } from "./publisher.js";
import type { PublishingView } from "./publishing.js";

/** The publisher, the anchors and what the HTTP layer sees of them, built from the configuration. */
export interface Publishing {
  publisher: Publisher;
  anchors: AnchorRunner;
  view: PublishingView;
  signer(): Promise<CheckpointSigner>;
}

/** The anchors the configuration names (README "Publishing"). */
export function configuredAnchors(config: ServerConfig): Anchor[] {
  const { anchorDir, anchorWebhookUrl, anchorAuditLog } = config.publish;
  const anchors: Anchor[] = [];
  if (anchorDir !== undefined) anchors.push(new DirectoryAnchor(anchorDir));
  if (anchorWebhookUrl !== undefined) anchors.push(new WebhookAnchor(anchorWebhookUrl));
  if (anchorAuditLog !== undefined) anchors.push(new AuditLogAnchor(anchorAuditLog));
  return anchors;
}

/**
 * Wires publishing for one process. The checkpoint key is read (or made) on first use and kept;
 * a failed read is tried again at the next use. Nothing runs until `start()` of each part.
 */
export function createPublishing(options: {
  config: ServerConfig;
  store: Store;
  clock: Clock;
  log: Logger;
  retryDelay: RetryDelay;
  anchors?: readonly Anchor[];
}): Publishing {
  const { config, store, clock, log } = options;
  let signer: Promise<CheckpointSigner> | undefined;
  const getSigner = (): Promise<CheckpointSigner> => {
    signer ??= loadCheckpointKey({
      store,
      clock,
      given: config.publish.checkpointKey,
      name: config.publish.origin,
    })
      .then(checkpointSigner)
      .catch((error: unknown) => {
        signer = undefined;
        throw error;
      });
    return signer;
  };
  const anchors = new AnchorRunner({
    store,
    clock,
    log,
    anchors: options.anchors ?? configuredAnchors(config),
    retryDelay: options.retryDelay,
  });
  const publisher = new Publisher({
    store,
    clock,
    log,
    signer: getSigner,
    origin: config.publish.origin,
    intervalMs: config.publish.intervalMs,
    everyEvents: config.publish.everyEvents,
    onPublished: () => anchors.wake(),
  });
  return {
    publisher,
    anchors,
    signer: getSigner,
    view: {
      verifierKey: async () => (await getSigner()).verifierKey,
      anchorStatus: () => anchors.status(),
    },
  };
}
