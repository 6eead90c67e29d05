/** The Pangea envelope every answer of the server is. */
export interface Envelope<T = unknown> {
  request_id: string;
  request_time: string;
  response_time: string;
  status: string;
  summary: string;
  result: T;
}

/** One entry of `result.errors` in a failed answer. */
export interface EnvelopeError {
  code: string;
  detail: string;
  source: string;
}

/**
 * A failure the CLI reports as it is, without a stack: a one-line message, then any detail
 * lines, and an exit code (1 for a failed operation, 2 for a command line the CLI cannot run).
 */
export class CliError extends Error {
  readonly exitCode: number;
  /** The server's answer, when the server said no. */
  readonly envelope: Envelope | undefined;
  /** Lines printed after the message: one per error the server named, or a command's usage. */
  readonly details: readonly string[];

  constructor(message: string, options: { exitCode?: number; envelope?: Envelope; details?: string[] } = {}) {
    super(message);
    this.name = "CliError";
    this.exitCode = options.exitCode ?? 1;
    this.envelope = options.envelope;
    this.details = options.details ?? [];
  }

  /** A failed answer: its status and summary, then each error's source, detail and code. */
  static fromEnvelope(envelope: Envelope, hint?: string): CliError {
    const result = envelope.result as { errors?: unknown } | null;
    const errors = Array.isArray(result?.errors) ? (result.errors as Partial<EnvelopeError>[]) : [];
    const details = errors.map(
      (e) => `  ${e.source || "/"}: ${e.detail ?? "(no detail)"}${e.code ? ` (${e.code})` : ""}`,
    );
    if (hint) details.push(hint);
    return new CliError(`${envelope.status}: ${envelope.summary}`, { envelope, details });
  }
}

/** A command line the CLI cannot run: exit code 2, with the usage that applies. */
export class UsageError extends CliError {
  constructor(message: string, usage?: string) {
    super(message, { exitCode: 2, details: usage ? ["", usage.trimEnd()] : [] });
    this.name = "UsageError";
  }
}
