import { CoreError } from "../errors.js";

/*
 * Splits the text of a verifiable file, chunk by chunk, into its top-level members and the
 * records of its `events` array, each parsed on its own: a file of any size is read with memory
 * for one record at a time. The text must be one JSON object; anything else is reported with
 * `ERR_FILE_FORMAT`. Strings (and their escapes) are skipped exactly, so a brace or bracket
 * inside an event's text cannot confuse the split.
 */

export interface FileStreamHandlers {
  /** A top-level member other than `events`. */
  member(key: string, value: unknown): void;
  /** One record of `events`, in file order. */
  record(value: unknown): void;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export class FileStreamSplitter {
  readonly #handlers: FileStreamHandlers;
  #depth = 0;
  #inString = false;
  #escape = false;
  #started = false;
  #done = false;
  /** At depth 1, the next string is a key. */
  #expectKey = true;
  #key: string | undefined;
  /** Capturing text since `#from` in the current chunk, after `#parts` from earlier chunks. */
  #capturing: "key" | "value" | "record" | undefined;
  #parts: string[] = [];
  #from = 0;
  #inEvents = false;
  #awaitEvents = false;
  #recordCount = 0;

  constructor(handlers: FileStreamHandlers) {
    this.#handlers = handlers;
  }

  #start(kind: "key" | "value" | "record", at: number): void {
    this.#capturing = kind;
    this.#parts = [];
    this.#from = at;
  }

  #take(chunk: string, end: number): string {
    this.#parts.push(chunk.slice(this.#from, end));
    const text = this.#parts.join("");
    this.#parts = [];
    this.#capturing = undefined;
    return text;
  }

  #parse(text: string, what: string): unknown {
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new CoreError("ERR_FILE_FORMAT", `${what} is not JSON`, { cause });
    }
  }

  #endValue(chunk: string, at: number): void {
    if (this.#capturing !== "value") return;
    const text = this.#take(chunk, at).trim();
    if (text === "") throw new CoreError("ERR_FILE_FORMAT", `the member "${this.#key}" has no value`);
    this.#handlers.member(this.#key!, this.#parse(text, `the member "${this.#key}"`));
  }

  #endRecord(chunk: string, at: number, last: boolean): void {
    const text = this.#take(chunk, at).trim();
    if (text === "") {
      // Only `[]` may end with nothing in it; `[1,]` and `[,1]` may not.
      if (!last || this.#recordCount > 0)
        throw new CoreError("ERR_FILE_FORMAT", "events holds an empty item");
      return;
    }
    this.#recordCount++;
    this.#handlers.record(this.#parse(text, "a record of events"));
  }

  /** Reads the next piece of the text. */
  push(chunk: string): void {
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === BACKSLASH) this.#escape = true;
        else if (c === QUOTE) {
          this.#inString = false;
          if (this.#capturing === "key" && this.#depth === 1) {
            this.#key = this.#parse(this.#take(chunk, i + 1), "a member name") as string;
          }
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (this.#done) throw new CoreError("ERR_FILE_FORMAT", "text follows the end of the file's object");
      if (!this.#started) {
        if (c !== OPEN_BRACE) throw new CoreError("ERR_FILE_FORMAT", "the file is not a JSON object");
        this.#started = true;
        this.#depth = 1;
        continue;
      }
      if (this.#awaitEvents) {
        if (c !== OPEN_BRACKET) throw new CoreError("ERR_FILE_FORMAT", "events is not an array");
        this.#awaitEvents = false;
        this.#inEvents = true;
        this.#depth = 2;
        this.#start("record", i + 1);
        continue;
      }
      switch (c) {
        case QUOTE:
          this.#inString = true;
          if (this.#depth === 1 && this.#expectKey) this.#start("key", i);
          break;
        case COLON:
          if (this.#depth === 1 && this.#expectKey) {
            this.#expectKey = false;
            if (this.#key === "events") this.#awaitEvents = true;
            else this.#start("value", i + 1);
          }
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          this.#depth++;
          break;
        case COMMA:
          if (this.#depth === 1) {
            this.#endValue(chunk, i);
            this.#expectKey = true;
          } else if (this.#depth === 2 && this.#inEvents) {
            this.#endRecord(chunk, i, false);
            this.#start("record", i + 1);
          }
          break;
        case CLOSE_BRACKET:
          if (this.#depth === 2 && this.#inEvents) {
            this.#endRecord(chunk, i, true);
            this.#inEvents = false;
          }
          this.#depth--;
          break;
        case CLOSE_BRACE:
          if (this.#depth === 1) {
            this.#endValue(chunk, i);
            this.#done = true;
          }
          this.#depth--;
          break;
        default:
          break;
      }
      if (this.#depth < 0) throw new CoreError("ERR_FILE_FORMAT", "unbalanced brackets");
    }
    if (this.#capturing) {
      this.#parts.push(chunk.slice(this.#from));
      this.#from = 0;
    }
  }

  /** Ends the text; throws if the object is not complete. */
  end(): void {
    if (!this.#done) throw new CoreError("ERR_FILE_FORMAT", "the file ends before its object does");
  }
}
