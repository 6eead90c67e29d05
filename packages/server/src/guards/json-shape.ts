import { type ErrorField, pointerToken } from "../errors.js";
import { MAX_JSON_DEPTH, MAX_JSON_OBJECT_KEYS, MAX_JSON_VALUES } from "../limits.js";

/*
 * The shape bounds of a parsed JSON body, checked before anything else reads it: nesting depth,
 * members per object and values per body (limits.ts). JSON.parse itself does not recurse, but
 * everything after it may (canonicalisation, hashing, validation), and work grows with the
 * number of values, not with the bytes.
 */

/** A container met on the walk; `parent` and `key` rebuild its pointer, only when it is reported. */
interface Frame {
  readonly value: object;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number;
}

/**
 * The first bound `body` crosses, with the JSON pointer of the object or array where it was
 * crossed, or undefined when it is within all of them. Iterative: a body nested 20,000 levels
 * deep costs one pass and no stack.
 */
export function checkJsonShape(body: unknown): ErrorField | undefined {
  if (body === null || typeof body !== "object") return undefined;
  let values = 1;
  const stack: Frame[] = [{ value: body, depth: 1, parent: undefined, key: "" }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.depth > MAX_JSON_DEPTH) {
      return {
        code: "AboveMaxDepth",
        detail: `objects and arrays nest at most ${MAX_JSON_DEPTH} levels deep`,
        source: pointerOf(frame),
      };
    }
    const isArray = Array.isArray(frame.value);
    const keys = isArray ? undefined : Object.keys(frame.value);
    const size = keys ? keys.length : (frame.value as unknown[]).length;
    if (keys && size > MAX_JSON_OBJECT_KEYS) {
      return {
        code: "AboveMaxProperties",
        detail: `an object holds at most ${MAX_JSON_OBJECT_KEYS} fields, this one has ${size}`,
        source: pointerOf(frame),
      };
    }
    values += size;
    if (values > MAX_JSON_VALUES) {
      return {
        code: "IsTooBig",
        detail: `a body holds at most ${MAX_JSON_VALUES} values (objects, arrays and scalars)`,
        source: pointerOf(frame),
      };
    }
    const record = frame.value as Record<string, unknown>;
    for (let i = 0; i < size; i++) {
      const key = keys ? keys[i]! : i;
      const child = record[key];
      if (child !== null && typeof child === "object") {
        stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
      }
    }
  }
  return undefined;
}

function pointerOf(frame: Frame): string {
  const tokens: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) {
    tokens.push(pointerToken(f.key));
  }
  return tokens.length === 0 ? "" : `/${tokens.reverse().join("/")}`;
}
