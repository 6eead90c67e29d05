import { ANCHOR_TIMEOUT_MS } from "../../limits.js";
import type { CheckpointRecord } from "../../store/contract/checkpoint.js";
import type { Anchor } from "./anchor.js";

/**
 * `VERITRAIL_ANCHOR_AUDIT_LOG_URL` + `_TOKEN`: each checkpoint logged as an event into another
 * Pangea-compatible audit log (another Veritrail, or Pangea itself) through its `v1/log`, so two
 * independent logs witness each other. The event uses only the standard schema's fields:
 * `action: "checkpoint"`, `target` the tree name, `status` the size, `source` the origin, and
 * `message` the whole signed note, which anyone can check against our verifier key.
 */
export class AuditLogAnchor implements Anchor {
  readonly name = "audit-log";
  readonly kind = "audit-log";
  readonly #url: string;
  readonly #token: string;
  readonly #configId: string | undefined;

  constructor(options: { url: string; token: string; configId: string | undefined }) {
    this.#url = options.url;
    this.#token = options.token;
    this.#configId = options.configId;
  }

  async deliver(tree: { treeName: string }, checkpoint: CheckpointRecord): Promise<void> {
    const origin = checkpoint.note.slice(0, checkpoint.note.indexOf("\n"));
    const body = {
      event: {
        action: "checkpoint",
        source: origin,
        target: tree.treeName,
        status: String(checkpoint.size),
        message: checkpoint.note,
      },
      verbose: false,
      ...(this.#configId === undefined ? {} : { config_id: this.#configId }),
    };
    const response = await fetch(`${this.#url}/v1/log`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.#token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ANCHOR_TIMEOUT_MS),
    });
    const text = await response.text();
    let status: unknown;
    try {
      status = (JSON.parse(text) as { status?: unknown }).status;
    } catch {
      status = undefined;
    }
    if (!response.ok || status !== "Success") {
      throw new Error(
        `audit log answered HTTP ${response.status} ${typeof status === "string" ? status : ""}`.trim(),
      );
    }
  }
}
