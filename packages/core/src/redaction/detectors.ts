/*
 * The built-in detectors of redaction at ingest (issue 11 §2): each finds the spans of one kind
 * of secret or personal value in a text. They are pure and use no `node:` module, so a browser
 * can run them too.
 *
 * Every detector runs in time linear in the text: each regular expression below either starts
 * with a literal and has only bounded repetition, or is one greedy run of a single class, and
 * the two whose natural patterns would rescan (email addresses, private-key blocks) are found
 * by their anchor (`@`, `-----BEGIN `) and widened by hand. A candidate is then checked (the
 * Luhn sum, octet ranges, the SSN rules, a JWT's JSON header), which is where most near misses
 * fall away.
 */

/** One built-in detector: its stable name (used in rules), its default label, and its search. */
export interface Detector {
  readonly name: DetectorName;
  /** What a `label` action writes, inside `<…>`, unless the rule names its own. */
  readonly label: string;
  /** The `[start, end)` spans found in `text`, leftmost first, not overlapping. */
  find(text: string): Array<[number, number]>;
  /**
   * The form a keyed hash is taken of, so that one value written two ways hashes the same (a
   * card with or without spaces, an email address in any case).
   */
  canonical(match: string): string;
}

export type DetectorName =
  | "email_address"
  | "phone_number"
  | "credit_card"
  | "us_ssn"
  | "ipv4"
  | "ipv6"
  | "jwt"
  | "aws_access_key"
  | "github_token"
  | "slack_token"
  | "private_key";

const same = (s: string): string => s;

/** Spans of every match of a global regex whose text `accept` takes. */
function scan(
  pattern: RegExp,
  text: string,
  accept: (match: RegExpExecArray) => boolean = () => true,
): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (accept(m)) spans.push([m.index, m.index + m[0].length]);
    else pattern.lastIndex = m.index + 1;
  }
  return spans;
}

// --- email addresses -------------------------------------------------------------------------

const LOCAL_CHAR = /[A-Za-z0-9._%+'-]/;
const DOMAIN_CHAR = /[A-Za-z0-9.-]/;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

/** How far back a URL's start is looked for: a URL longer than this is rare, and the scan stays linear. */
const MAX_URL_PREFIX = 2048;

/** The whitespace-delimited word around `at` starts with a URL scheme (`https://…`). */
function insideUrl(text: string, at: number): boolean {
  let start = at;
  while (start > 0 && at - start < MAX_URL_PREFIX && !/\s/.test(text[start - 1]!)) start--;
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text.slice(start, at));
}

function findEmails(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let searchFrom = 0;
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", Math.max(at + 1, searchFrom))) {
    let start = at;
    while (start > 0 && at - start < MAX_LOCAL && LOCAL_CHAR.test(text[start - 1]!)) start--;
    // The local part does not start or end with a dot.
    while (start < at && text[start] === ".") start++;
    if (start === at || text[at - 1] === ".") continue;
    // A longer local part than the bound: this is no address, but the tail of something else.
    if (start > 0 && LOCAL_CHAR.test(text[start - 1]!)) continue;
    let end = at + 1;
    while (end < text.length && end - at - 1 < MAX_DOMAIN && DOMAIN_CHAR.test(text[end]!)) end++;
    while (end > at + 1 && (text[end - 1] === "." || text[end - 1] === "-")) end--;
    const domain = text.slice(at + 1, end);
    const labels = domain.split(".");
    const tld = labels[labels.length - 1]!;
    if (
      labels.length < 2 ||
      labels.some((l) => l.length === 0 || l.length > 63 || l.startsWith("-") || l.endsWith("-")) ||
      !/^[A-Za-z]{2,63}$/.test(tld)
    ) {
      continue;
    }
    // `user@host` right after a scheme is a URL's credentials or path, not someone's address.
    if (insideUrl(text, start)) continue;
    if (spans.length > 0 && start < spans[spans.length - 1]![1]) continue;
    spans.push([start, end]);
    searchFrom = end;
  }
  return spans;
}

// --- phone numbers ---------------------------------------------------------------------------

// +CC then groups: bounded everywhere, so each start costs a few dozen steps.
const INTERNATIONAL_PHONE = /(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,4}){2,5}(?![\w]|[.-]\d)/g;
// North American: (415) 555-2671, 415-555-2671, 415.555.2671, 1-415-555-2671.
const NANP_PHONE =
  /(?<![\w+.-])(?:1[ .-])?(?:\(([2-9]\d{2})\) ?|([2-9]\d{2})[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w]|[.-]\d)/g;

function findPhones(text: string): Array<[number, number]> {
  const international = scan(INTERNATIONAL_PHONE, text, (m) => {
    const digits = m[0].replace(/\D/g, "").length;
    return digits >= 8 && digits <= 15;
  });
  return mergeSpans(international, scan(NANP_PHONE, text));
}

/** Two sorted span lists as one, the earlier span kept where two overlap. */
function mergeSpans(a: Array<[number, number]>, b: Array<[number, number]>): Array<[number, number]> {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0] || y[1] - x[1]);
  const out: Array<[number, number]> = [];
  for (const span of all) if (out.length === 0 || span[0] >= out[out.length - 1]![1]) out.push(span);
  return out;
}

// --- payment cards ---------------------------------------------------------------------------

const CARD = /(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w]|[.-]\d)/g;

/** The Luhn check (ISO/IEC 7812-1 annex B) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes and lengths of the major card networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
function knownIssuer(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (digits[0] === "4") return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649)) return n >= 16;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16;
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14;
  if (p2 === 62) return n >= 16;
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12;
  return false;
}

function findCards(text: string): Array<[number, number]> {
  return scan(CARD, text, (m) => {
    const digits = m[0].replace(/\D/g, "");
    // Separators are single and regular: "4111 1111 1111 1111" or "4111-1111-1111-1111", not both.
    if (/ /.test(m[0]) && /-/.test(m[0])) return false;
    return luhnValid(digits) && knownIssuer(digits);
  });
}

// --- US social security numbers --------------------------------------------------------------

const SSN = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w]|-\d)/g;

function findSsns(text: string): Array<[number, number]> {
  // SSA rules: no area 000, 666 or 900–999; no group 00; no serial 0000.
  return scan(SSN, text, (m) => {
    const area = m[1]!;
    return area !== "000" && area !== "666" && area[0] !== "9" && m[2] !== "00" && m[3] !== "0000";
  });
}

// --- IP addresses ----------------------------------------------------------------------------

const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g;
const OCTET = /^(?:0|[1-9]\d{0,2})$/;

function validIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => OCTET.test(p) && Number(p) <= 255);
}

function findIpv4(text: string): Array<[number, number]> {
  return scan(IPV4, text, (m) => validIpv4(m[0]));
}

// One greedy run of one class: the engine never backtracks into it.
const IPV6_RUN = /[0-9A-Fa-f:.]+/g;
const HEXTET = /^[0-9A-Fa-f]{1,4}$/;

/** RFC 4291 §2.2 text forms: eight hextets, `::` once for a run of zeros, an IPv4 tail. */
export function validIpv6(text: string): boolean {
  if (!/[0-9A-Fa-f]/.test(text) || text.length > 45) return false;
  let groups = text;
  let tailGroups = 0;
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".") !== -1) {
    if (!validIpv4(text.slice(lastColon + 1))) return false;
    groups = text.slice(0, lastColon + 1);
    // "::1.2.3.4" keeps its "::"; "a:…:1.2.3.4" loses the colon before the IPv4 part.
    if (!groups.endsWith("::")) groups = groups.slice(0, -1);
    tailGroups = 2;
  }
  const halves = groups.split("::");
  if (halves.length > 2) return false;
  const parse = (half: string): string[] | undefined => {
    if (half === "") return [];
    const parts = half.split(":");
    return parts.every((p) => HEXTET.test(p)) ? parts : undefined;
  };
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  if (!left || !right) return false;
  const count = left.length + right.length + tailGroups;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function findIpv6(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  if (text.indexOf(":") === -1) return spans;
  for (const [start, runEnd] of scan(IPV6_RUN, text)) {
    if (runEnd - start < 2) continue;
    let end = runEnd;
    // A sentence may end right after an address: "from fe80::1." — the dot is not part of it.
    if (text[end - 1] === "." && end - start > 1) end--;
    if (text[end - 1] === ":" && text[end - 2] !== ":") end--;
    const candidate = text.slice(start, end);
    if ((candidate.match(/:/g)?.length ?? 0) < 2) continue;
    // Part of a word (`std::vector`, `a1b2::c3d4x`) is no address.
    if (/\w/.test(text[start - 1] ?? "") || /\w/.test(text[runEnd] ?? "")) continue;
    if (validIpv6(candidate)) spans.push([start, end]);
  }
  return spans;
}

// --- JSON Web Tokens -------------------------------------------------------------------------

// A JWT's header is a JSON object, so its base64url starts "eyJ" ('{"'). Three segments.
const JWT =
  /(?<![\w-])eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{2,65536}\.[A-Za-z0-9_-]{0,8192}(?![\w-]|\.[\w-])/g;
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Decodes base64url (RFC 4648 §5) without padding, or undefined if it is not. */
function decodeBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const v = B64URL.indexOf(text[i]!);
    if (v < 0) return undefined;
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

function jsonObjectOf(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeBase64Url(segment);
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function findJwts(text: string): Array<[number, number]> {
  return scan(JWT, text, (m) => {
    const [header, payload, signature] = m[0].split(".") as [string, string, string];
    const head = jsonObjectOf(header);
    if (!head || typeof head["alg"] !== "string") return false;
    // Only an unsecured JWT (RFC 7519 §6) has an empty signature.
    if (signature === "" && head["alg"] !== "none") return false;
    return jsonObjectOf(payload) !== undefined;
  });
}

// --- API keys and tokens ---------------------------------------------------------------------

// AWS access key ids: a four-letter kind prefix, then 16 base32 characters.
const AWS_ACCESS_KEY =
  /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z2-7]{16}(?![A-Za-z0-9])/g;
// GitHub: ghp_/gho_/ghu_/ghs_/ghr_ and 36 characters; fine-grained github_pat_22_59.
const GITHUB_TOKEN =
  /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])/g;
// Slack: xoxb-/xoxp-/xoxa-/xoxr-/xoxs-/xoxo- tokens, app-level xapp- tokens, incoming webhooks.
const SLACK_TOKEN =
  /(?<![A-Za-z0-9-])(?:xox[abposr]-(?:[0-9]{6,16}-){1,3}[A-Za-z0-9]{16,64}|xapp-\d-[A-Z0-9]{9,12}-\d{9,16}-[a-f0-9]{32,80}|https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{8,12}\/B[A-Z0-9]{8,12}\/[A-Za-z0-9]{20,32})(?![A-Za-z0-9-])/g;

// --- private-key blocks ----------------------------------------------------------------------

const KEY_HEADER = /-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
const KEY_FOOTER = /-----END (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;

/** PEM (RFC 7468) and PGP private-key blocks; a block cut short is redacted to the end of the text. */
function findPrivateKeys(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let from = 0;
  for (let at = text.indexOf("-----BEGIN ", from); at !== -1; at = text.indexOf("-----BEGIN ", from)) {
    KEY_HEADER.lastIndex = at;
    const header = KEY_HEADER.exec(text);
    if (!header) {
      from = at + 1;
      continue;
    }
    let end = text.length;
    for (
      let e = text.indexOf("-----END ", at + header[0].length);
      e !== -1;
      e = text.indexOf("-----END ", e + 1)
    ) {
      KEY_FOOTER.lastIndex = e;
      const footer = KEY_FOOTER.exec(text);
      if (footer) {
        end = e + footer[0].length;
        break;
      }
    }
    spans.push([at, end]);
    from = end;
  }
  return spans;
}

const digitsOnly = (s: string): string => s.replace(/\D/g, "");

/** Every built-in detector, by name. */
export const DETECTORS: Readonly<Record<DetectorName, Detector>> = Object.freeze({
  email_address: {
    name: "email_address",
    label: "EMAIL_ADDRESS",
    find: findEmails,
    canonical: (s) => s.toLowerCase(),
  },
  phone_number: {
    name: "phone_number",
    label: "PHONE_NUMBER",
    find: findPhones,
    canonical: (s) => (s.startsWith("+") ? `+${digitsOnly(s)}` : digitsOnly(s).replace(/^1(?=\d{10}$)/, "")),
  },
  credit_card: { name: "credit_card", label: "CREDIT_CARD", find: findCards, canonical: digitsOnly },
  us_ssn: { name: "us_ssn", label: "US_SSN", find: findSsns, canonical: same },
  ipv4: { name: "ipv4", label: "IP_ADDRESS", find: findIpv4, canonical: same },
  ipv6: { name: "ipv6", label: "IP_ADDRESS", find: findIpv6, canonical: (s) => s.toLowerCase() },
  jwt: { name: "jwt", label: "JWT", find: findJwts, canonical: same },
  aws_access_key: {
    name: "aws_access_key",
    label: "AWS_ACCESS_KEY",
    find: (t) => scan(AWS_ACCESS_KEY, t),
    canonical: same,
  },
  github_token: {
    name: "github_token",
    label: "GITHUB_TOKEN",
    find: (t) => scan(GITHUB_TOKEN, t),
    canonical: same,
  },
  slack_token: {
    name: "slack_token",
    label: "SLACK_TOKEN",
    find: (t) => scan(SLACK_TOKEN, t),
    canonical: same,
  },
  private_key: { name: "private_key", label: "PRIVATE_KEY", find: findPrivateKeys, canonical: same },
});

/** The detector names, in a stable order (for validation messages and documentation). */
export const DETECTOR_NAMES = Object.keys(DETECTORS) as DetectorName[];
