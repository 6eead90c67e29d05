import type { AnchorStatus } from "./anchor-runner.js";

/** What the HTTP layer sees of publishing (services.ts): the key to check notes with, and the anchors' state. */
export interface PublishingView {
  /** The signed-note verifier key of the checkpoint key. */
  verifierKey(): Promise<string>;
  /** Every configured anchor's state for every published tree. */
  anchorStatus(): Promise<AnchorStatus[]>;
}
