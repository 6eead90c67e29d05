// Signed notes and checkpoints (C2SP signed-note, tlog-checkpoint). The known-answer vectors are
// the example of golang.org/x/mod/sumdb/note (note.go's package comment and note_test.go): the
// PeterNeumann signer and verifier keys and the note they sign. Ed25519 is deterministic, so
// signing that text with that key must give that note byte for byte: then Go's verifier, and any
// tool built on it, accepts our checkpoints. "TEST+7997405c+AQcC+FTVK…" is a verifier key of
// transparency-dev/formats' tests whose base64 holds a '+'.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateSigningKey } from "../ed25519.js";
import { CoreError } from "../errors.js";
import {
  formatCheckpoint,
  formatSignerKey,
  formatVerifierKey,
  noteSigner,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from "./note.js";

const GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
const PLUS_VERIFIER = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6";

const isCode = (code: string) => (e: unknown) => e instanceof CoreError && e.code === code;

describe("signed notes: Go's sumdb/note example", () => {
  it("reads the signer key and signs the example text to the example note, byte for byte", () => {
    const signer = parseSignerKey(GO_SIGNER);
    assert.equal(signer.name, "PeterNeumann");
    assert.equal(signNote(GO_TEXT, signer), GO_NOTE);
  });

  it("writes the signer's keys back as Go writes them", () => {
    const signer = parseSignerKey(GO_SIGNER);
    assert.equal(formatSignerKey(signer), GO_SIGNER);
    assert.equal(formatVerifierKey(signer), GO_VERIFIER);
  });

  it("opens the example note with the verifier key", () => {
    const opened = openNote(GO_NOTE, [parseVerifierKey(GO_VERIFIER)]);
    assert.ok(opened.ok);
    assert.equal(opened.text, GO_TEXT);
    assert.deepEqual(
      opened.signedBy.map((key) => key.name),
      ["PeterNeumann"],
    );
  });

  it("refuses the note with one character of its text changed, naming the signer", () => {
    const opened = openNote(GO_NOTE.replace("cryptography", "cryptographY"), [parseVerifierKey(GO_VERIFIER)]);
    assert.deepEqual(opened, { ok: false, reason: "the signature by PeterNeumann does not verify" });
  });

  it("refuses a note signed by no key it knows, and ignores signatures by unknown keys", () => {
    const other = noteSigner("Other", generateSigningKey());
    assert.equal(openNote(GO_NOTE, [other]).ok, false);
    const twice = `${GO_NOTE.slice(0, -1)}\n${signNote(GO_TEXT, other).split("\n\n")[1]}`;
    const opened = openNote(twice, [parseVerifierKey(GO_VERIFIER)]);
    assert.ok(opened.ok);
    assert.deepEqual(
      opened.signedBy.map((key) => key.name),
      ["PeterNeumann"],
    );
  });

  it("reads a verifier key whose base64 holds a '+'", () => {
    const key = parseVerifierKey(PLUS_VERIFIER);
    assert.equal(key.name, "TEST");
    assert.equal(formatVerifierKey(key), PLUS_VERIFIER);
  });

  const badKeys: Array<[string, string]> = [
    ["an empty string", ""],
    ["a name only", "PeterNeumann"],
    ["a wrong key id", GO_VERIFIER.replace("c74f20a3", "c74f20a4")],
    ["a key id of the wrong length", GO_VERIFIER.replace("c74f20a3", "c74f20")],
    ["a renamed key", GO_VERIFIER.replace("PeterNeumann", "PeterNeumanm")],
    ["a key of another type", GO_VERIFIER.replace("+ARpc", "+AhpC")],
    ["a truncated key", GO_VERIFIER.slice(0, -4)],
  ];
  for (const [name, value] of badKeys) {
    it(`refuses ${name} as a verifier key with ERR_KEY_FORMAT`, () => {
      assert.throws(() => parseVerifierKey(value), isCode("ERR_KEY_FORMAT"));
    });
  }

  it("refuses malformed signer keys with ERR_KEY_FORMAT", () => {
    assert.throws(() => parseSignerKey(GO_VERIFIER), isCode("ERR_KEY_FORMAT"));
    assert.throws(() => parseSignerKey(GO_SIGNER.replace("c74f20a3", "00000000")), isCode("ERR_KEY_FORMAT"));
    assert.throws(() => noteSigner("has space", generateSigningKey()), isCode("ERR_KEY_FORMAT"));
    assert.throws(() => noteSigner("a+b", generateSigningKey()), isCode("ERR_KEY_FORMAT"));
  });

  const badNotes: Array<[string, string, string]> = [
    ["no signature block", GO_TEXT, "the note has no signature block"],
    [
      "a text with a control character",
      GO_NOTE.replace("problem,", "problem,\t"),
      "a note's text has a control character",
    ],
    [
      "a signature line without the em dash",
      GO_NOTE.replace("\u2014 ", "- "),
      "a signature line is malformed",
    ],
    ["a signature too short", `${GO_TEXT}\n\u2014 PeterNeumann AAAA\n`, "a signature is too short"],
    ["no final newline", GO_NOTE.slice(0, -1), "the note has no signature block"],
  ];
  for (const [name, note, reason] of badNotes) {
    it(`refuses a note with ${name}, saying so`, () => {
      assert.deepEqual(openNote(note, [parseVerifierKey(GO_VERIFIER)]), { ok: false, reason });
    });
  }

  it("refuses a note over MAX_NOTE_BYTES before looking at it", () => {
    const opened = openNote(`${"x".repeat(70_000)}\n\n\u2014 a b\n`, [parseVerifierKey(GO_VERIFIER)]);
    assert.equal(opened.ok, false);
  });

  it("will not sign a text that does not end in a newline", () => {
    assert.throws(() => signNote("no newline", parseSignerKey(GO_SIGNER)), isCode("ERR_NOTE_FORMAT"));
  });
});

describe("checkpoints", () => {
  const root = Uint8Array.from({ length: 32 }, (_, i) => i);
  const signer = noteSigner("veritrail.example", generateSigningKey());

  it("writes origin, decimal size and base64 root on three lines", () => {
    const text = formatCheckpoint({ origin: "veritrail.example/tree_a", size: 1234, rootHash: root });
    assert.equal(text, `veritrail.example/tree_a\n1234\n${Buffer.from(root).toString("base64")}\n`);
    assert.deepEqual(parseCheckpoint(text), {
      origin: "veritrail.example/tree_a",
      size: 1234,
      rootHash: root,
      extensions: [],
    });
  });

  it("opens a signed checkpoint with its verifier key and checks the origin when asked", () => {
    const note = signNote(formatCheckpoint({ origin: "o/t", size: 7, rootHash: root }), signer);
    const opened = openCheckpoint(note, parseVerifierKey(formatVerifierKey(signer)), { origin: "o/t" });
    assert.ok(opened.ok);
    assert.equal(opened.checkpoint.size, 7);
    assert.deepEqual(openCheckpoint(note, signer, { origin: "o/other" }), {
      ok: false,
      reason: "the checkpoint is for o/t, not o/other",
    });
  });

  it("refuses a checkpoint signed by another key", () => {
    const note = signNote(formatCheckpoint({ origin: "o/t", size: 7, rootHash: root }), signer);
    const other = noteSigner("veritrail.example", generateSigningKey());
    assert.equal(openCheckpoint(note, other).ok, false);
  });

  const badBodies: Array<[string, string]> = [
    ["a leading zero in the size", "o/t\n07\nAAAA\n"],
    ["a negative size", "o/t\n-1\nAAAA\n"],
    ["a root of 31 bytes", `o/t\n1\n${Buffer.alloc(31).toString("base64")}\n`],
    ["a missing root", "o/t\n1\n"],
    ["no final newline", `o/t\n1\n${Buffer.alloc(32).toString("base64")}`],
  ];
  for (const [name, body] of badBodies) {
    it(`refuses a checkpoint with ${name}`, () => {
      assert.ok("error" in parseCheckpoint(body));
    });
  }

  it("refuses to write an origin with a newline or a fractional size", () => {
    assert.throws(
      () => formatCheckpoint({ origin: "a\nb", size: 1, rootHash: root }),
      isCode("ERR_NOTE_FORMAT"),
    );
    assert.throws(
      () => formatCheckpoint({ origin: "a", size: 1.5, rootHash: root }),
      isCode("ERR_NOTE_FORMAT"),
    );
  });
});
