/** Stable codes for every failure the core can report. Tests assert these, never messages. */
export type CoreErrorCode =
  | "ERR_CANONICAL_JSON" // a value RFC 8785 cannot represent (NaN, Infinity, bigint, function…)
  | "ERR_TREE_SIZE" // a leaf index or tree size outside the tree
  | "ERR_PROOF_FORMAT" // a proof string that does not follow wire-protocol §5.5
  | "ERR_KEY_FORMAT" // a public or private key in no supported form
  | "ERR_NOTE_FORMAT" // a signed note or checkpoint that cannot be written as asked
  | "ERR_DURATION_FORMAT" // a string outside the Pangea duration grammar
  | "ERR_FILE_FORMAT"; // a verifiable file that is not one JSON object with an events array

/** The one error class of `@veritrail/core`; `code` is stable, `message` is for people. */
export class CoreError extends Error {
  readonly code: CoreErrorCode;

  constructor(code: CoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CoreError";
    this.code = code;
  }
}
