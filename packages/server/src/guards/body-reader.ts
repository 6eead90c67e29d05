import { ApiError, clip, type ErrorField, pointerToken } from "../errors.js";
import { MAX_ERRORS_PER_ANSWER, MAX_FIELD_NAME_LENGTH } from "../limits.js";

/*
 * Guards for attacker-controlled request bodies. Each reads one field, checks its type and
 * bounds, and records a problem with the field's JSON pointer instead of throwing, so a caller
 * gets every problem of a request in one answer.
 */

export class BodyReader {
  readonly errors: ErrorField[];
  /** False when the value is not a JSON object: its one error says all, its fields are not reported. */
  readonly isObject: boolean;
  readonly #body: Record<string, unknown>;
  readonly #pointer: string;
  #uncheckedFrom: string | undefined;

  /**
   * Reads `value` found at `pointer`; anything but a JSON object is a problem, and so is any key
   * outside `allowed`. A nested reader passes its parent's `errors` to share one list.
   */
  constructor(value: unknown, pointer = "", allowed?: readonly string[], errors: ErrorField[] = []) {
    this.errors = errors;
    this.#pointer = pointer;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.errors.push({ code: "InvalidObject", detail: "must be a JSON object", source: pointer });
      this.#body = {};
      this.isObject = false;
      return;
    }
    this.#body = value as Record<string, unknown>;
    this.isObject = true;
    for (const key of Object.keys(this.#body)) {
      // A name this long is no field of any request: refused before it is read, stored or echoed.
      if (key.length > MAX_FIELD_NAME_LENGTH) {
        this.errors.push({
          code: "InvalidPropertyName",
          detail: `field names are at most ${MAX_FIELD_NAME_LENGTH} characters long`,
          source: this.at(key),
        });
      } else if (allowed && !allowed.includes(key)) {
        this.errors.push({
          code: "UnexpectedProperty",
          detail: `${clip(key)} is not a known field`,
          source: this.at(key),
        });
      }
    }
  }

  at(key: string | number): string {
    return `${this.#pointer}/${pointerToken(key)}`;
  }

  raw(key: string): unknown {
    return this.#body[key];
  }

  has(key: string): boolean {
    return this.#body[key] !== undefined;
  }

  boolean(key: string): boolean | undefined {
    const value = this.#body[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === "boolean") return value;
    this.errors.push({ code: "InvalidBool", detail: `${key} must be a boolean`, source: this.at(key) });
    return undefined;
  }

  string(key: string, options: { max: number; pattern?: RegExp; patternText?: string }): string | undefined {
    const value = this.#body[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") {
      this.errors.push({ code: "InvalidString", detail: `${key} must be a string`, source: this.at(key) });
    } else if (value.length > options.max) {
      this.errors.push({
        code: "AboveMaxLength",
        detail: `${key} is longer than ${options.max}`,
        source: this.at(key),
      });
    } else if (options.pattern && !options.pattern.test(value)) {
      this.errors.push({
        code: "DoesNotMatchPattern",
        detail: `${key} must be ${options.patternText ?? `like ${options.pattern.source}`}`,
        source: this.at(key),
      });
    } else {
      return value;
    }
    return undefined;
  }

  integer(key: string, options: { min: number; max: number }): number | undefined {
    const value = this.#body[key];
    if (value === undefined || value === null) return undefined;
    if (!Number.isSafeInteger(value)) {
      this.errors.push({ code: "InvalidInteger", detail: `${key} must be an integer`, source: this.at(key) });
    } else if ((value as number) < options.min || (value as number) > options.max) {
      this.errors.push({
        code: "NotWithinRange",
        detail: `${key} must be between ${options.min} and ${options.max}`,
        source: this.at(key),
      });
    } else {
      return value as number;
    }
    return undefined;
  }

  /**
   * True once the list holds more problems than an answer shows (`MAX_ERRORS_PER_ANSWER`): a
   * caller reading many similar parts (bulk entries) stops there, and says where with `stopAt`.
   */
  get isFull(): boolean {
    return this.errors.length > MAX_ERRORS_PER_ANSWER;
  }

  /** Records that nothing from `pointer` on was checked, so the answer does not claim a full count. */
  stopAt(pointer: string): void {
    this.#uncheckedFrom = pointer;
  }

  /** Throws the collected problems as one `ValidationError`, if there are any. */
  throwIfInvalid(): void {
    if (this.errors.length === 0) return;
    throw ApiError.validation(
      this.errors,
      this.#uncheckedFrom === undefined ? undefined : { uncheckedFrom: this.#uncheckedFrom },
    );
  }
}
