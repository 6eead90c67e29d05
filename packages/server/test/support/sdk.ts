import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { type Audit, type AuditService, PangeaErrors } from "pangea-node-sdk";

/*
 * What the tests that drive the official Node SDK share: a signer of the SDK's shape, a recorder
 * of what crossed the wire, and the tree size as the SDK reads it.
 */

type Signer = NonNullable<Audit.LogOptions["signer"]>;

/**
 * The SDK's Signer is not exported by 5.6.0 (sdk-acceptance-cases.md): this has its shape.
 * Ed25519 over the UTF-8 bytes, base64 signature, SPKI PEM public key with its trailing newline.
 */
export class TestSigner implements Signer {
  readonly privateKey: KeyObject = generateKeyPairSync("ed25519").privateKey;

  sign(data: string): string {
    return sign(null, Buffer.from(data, "utf8"), this.privateKey).toString("base64");
  }

  getPublicKey(): string {
    return createPublicKey(this.privateKey).export({ type: "spki", format: "pem" }).toString();
  }

  getAlgorithm(): string {
    return "ED25519";
  }
}

/** A request body the SDK sent; the fields tests read most are typed. */
export interface WireRequest {
  event?: Record<string, unknown>;
  verbose?: boolean;
  prev_root?: string;
  public_key?: string;
  tree_size?: number;
  config_id?: string;
  [field: string]: unknown;
}

/** The Pangea envelope of an answer (wire-protocol §3.1). */
export interface WireResponse {
  request_id: string;
  status: string;
  summary: string;
  result: unknown;
}

/** One request the SDK made to the server and the answer, as JSON on the wire. */
export interface Exchange {
  method: string;
  path: string;
  request: WireRequest | undefined;
  status: number;
  response: WireResponse;
}

/**
 * Records every exchange with the server by wrapping `fetch`, which the SDK calls at request
 * time; the SDK itself is untouched.
 */
export function recordExchanges(serverUrl: string): { exchanges: Exchange[]; restore(): void } {
  const realFetch = globalThis.fetch;
  const exchanges: Exchange[] = [];
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith(serverUrl)) {
      exchanges.push({
        method: init?.method ?? "GET",
        path: new URL(url).pathname,
        request: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
        status: response.status,
        response: (await response.clone().json()) as WireResponse,
      });
    }
    return response;
  };
  return {
    exchanges,
    restore() {
      globalThis.fetch = realFetch;
    },
  };
}

/** The tree size through the SDK; an empty tree answers TreeNotFound (wire-protocol §4.4). */
export async function treeSizeOf(audit: AuditService): Promise<number> {
  try {
    return (await audit.root()).result.data.size;
  } catch (error) {
    if (error instanceof PangeaErrors.APIError && error.pangeaResponse.status === "TreeNotFound") return 0;
    throw error;
  }
}
