/*
 * Verification that takes nothing on the server's word (docs/design/verification.md): pure
 * functions over what an answer or a file holds, each check "pass", "fail" or "none" with why.
 */
export { type Check, type CheckStatus, fail, none, PASS, worst } from "./check.js";
export { checkRootCheckpoint, noteOpener } from "./checkpoint.js";
export { checkEnvelopeHash, checkEventSignature } from "./event.js";
export {
  type CheckpointReport,
  type FileHead,
  type FileReport,
  FileVerifier,
  type FileVerifierOptions,
  type LinkReport,
  type NoteOpener,
  type OpenedNote as OpenedCheckpointNote,
  type RecordFailure,
  type Tally,
  verifyFile,
} from "./file.js";
export { type FileStreamHandlers, FileStreamSplitter } from "./file-stream.js";
export { checkConsistency, checkMembership, type TreeHead } from "./proofs.js";
export { type RecordChecks, type RecordReport, type RootTrust, verifyRecord } from "./records.js";
