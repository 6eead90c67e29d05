import { readFileSync } from "node:fs";

/**
 * The files of `packages/core/test-vectors/`, which the tests read. They are in-repo copies of the
 * project's shared reference material; `test-vectors/README.md` names each file's origin. The path
 * is resolved from this module, so a test reads the same file wherever it sits under `src/`.
 */
export type TestVectorFile = "merkle-and-hash-vectors.txt" | "pangea-log-artifact.json";

/** The UTF-8 text of one file of `packages/core/test-vectors/`. */
export function readTestVector(file: TestVectorFile): string {
  return readFileSync(new URL(`../../test-vectors/${file}`, import.meta.url), "utf8");
}
