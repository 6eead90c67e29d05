// Built-in detectors of redaction at ingest (issue 11 §2 and §4 "a table of positive and negative
// examples for every detector"). Where the examples come from: card numbers are the networks'
// published test numbers (Visa 4111 1111 1111 1111, Mastercard 5555 5555 5555 4444, Amex
// 3782 822463 10005, Discover 6011 1111 1111 1117, JCB 3530 1113 3330 0000); the near misses are
// those numbers with one digit changed (Luhn fails) or a valid Luhn sum without an issuer. SSN
// rules are the SSA's (no area 000, 666, 9xx; no group 00; no serial 0000). IPv6 forms are RFC
// 4291 §2.2's and RFC 5952's examples. The JWT is RFC 7519 §3.1's example; the AWS key id is
// AWS's documentation example (AKIAIOSFODNN7EXAMPLE). Tokens of GitHub and Slack are made up in
// their documented shapes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DETECTOR_NAMES, DETECTORS, type DetectorName, luhnValid, validIpv6 } from "./detectors.js";

const RFC7519_JWT =
  "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const NONE_JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.";
const GH36 = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
const PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nbase64base64==";

/** Per detector: texts with the value the detector must find (the exact span), and near misses it must not. */
const TABLE: Record<DetectorName, { positive: Array<[string, string]>; negative: string[] }> = {
  email_address: {
    positive: [
      ["mail alice@example.com now", "alice@example.com"],
      ["<bob.smith+tag@mail.example.co.uk>", "bob.smith+tag@mail.example.co.uk"],
      ["from: O'Brien@Example.ORG.", "O'Brien@Example.ORG"],
      ["mailto:carol_99@sub-domain.example.io", "carol_99@sub-domain.example.io"],
      ["a,dave@x.example;", "dave@x.example"],
    ],
    negative: [
      "https://user@example.com/login",
      "see https://example.com/u/alice@example.com/profile",
      "ssh git@github",
      "@mention at start",
      "alice@localhost",
      "bad@-example.com",
      "x@example.c",
    ],
  },
  phone_number: {
    positive: [
      ["call (415) 555-2671 today", "(415) 555-2671"],
      ["tel 415-555-2671.", "415-555-2671"],
      ["415.555.2671", "415.555.2671"],
      ["ring +44 20 7946 0958", "+44 20 7946 0958"],
      ["E.164 +14155552671,", "+14155552671"],
      ["1-800-555-0199", "1-800-555-0199"],
    ],
    negative: [
      "date 2024-01-15",
      "ip 10.0.0.1",
      "123-456-7890",
      "short 555-1234",
      "order 4155552671",
      "version 415.555.2671.3",
      "+12 3",
    ],
  },
  credit_card: {
    positive: [
      ["card 4111 1111 1111 1111 ok", "4111 1111 1111 1111"],
      ["5555555555554444", "5555555555554444"],
      ["amex 3782-822463-10005", "3782-822463-10005"],
      ["6011111111111117.", "6011111111111117"],
      ["jcb:3530111333300000", "3530111333300000"],
    ],
    negative: [
      "4111 1111 1111 1112",
      "5555555555554445",
      "1234567812345670",
      "41111111111111111111",
      "pi 3.14159265358979323",
      "4111 1111-1111 1111",
      "id 4111111111111111x",
    ],
  },
  us_ssn: {
    positive: [
      ["ssn 123-45-6789", "123-45-6789"],
      ["(078-05-1120)", "078-05-1120"],
      ["001-01-0001,", "001-01-0001"],
      ["899-99-9999", "899-99-9999"],
      ["id:665-12-3456.", "665-12-3456"],
    ],
    negative: [
      "000-12-3456",
      "666-12-3456",
      "912-34-5678",
      "123-00-4567",
      "123-45-0000",
      "1234-56-7890",
      "123456789",
    ],
  },
  ipv4: {
    positive: [
      ["from 192.168.1.10 ok", "192.168.1.10"],
      ["10.0.0.1", "10.0.0.1"],
      ["host=255.255.255.255;", "255.255.255.255"],
      ["(0.0.0.0)", "0.0.0.0"],
      ["ip 8.8.8.8.", "8.8.8.8"],
    ],
    negative: ["256.1.1.1", "1.2.3", "version 1.2.3.4.5", "01.2.3.4", "999.999.999.999", "v1.2.3.4"],
  },
  ipv6: {
    positive: [
      ["from 2001:db8::1 ok", "2001:db8::1"],
      ["2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"],
      ["loopback ::1.", "::1"],
      ["mapped ::ffff:192.0.2.128", "::ffff:192.0.2.128"],
      ["[fe80::1ff:fe23:4567:890a]:443", "fe80::1ff:fe23:4567:890a"],
    ],
    negative: [
      "at 12:30:45",
      "mac 00:1A:2B:3C:4D:5E",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "12345::1",
      "std::vector",
      "2001:db8::g1",
    ],
  },
  jwt: {
    positive: [
      [`Bearer ${RFC7519_JWT}`, RFC7519_JWT],
      [`token=${RFC7519_JWT}&x=1`, RFC7519_JWT],
      [NONE_JWT, NONE_JWT],
      [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
      ],
      [`"${RFC7519_JWT}"`, RFC7519_JWT],
    ],
    negative: [
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
      "eyJub3QiOiJhbGcifQ.eyJzdWIiOiIxIn0.c2ln",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.",
      "abc.def.ghi",
      "eyJhbGciOi.!!!.x",
      "eyJbad-json.eyJzdWIiOiIxIn0.c2ln",
    ],
  },
  aws_access_key: {
    positive: [
      ["key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"],
      ["ASIAY34FZKBOKMUTVV7A,", "ASIAY34FZKBOKMUTVV7A"],
      ["(AROAJ2UCCR6DPCEXAMPL)", "AROAJ2UCCR6DPCEXAMPL"],
      ["id=AIDAJQABLZS4A3QDU576", "AIDAJQABLZS4A3QDU576"],
      ["ANPAJ2UCCR6DPCEXAMPL", "ANPAJ2UCCR6DPCEXAMPL"],
    ],
    negative: [
      "akiaiosfodnn7example",
      "AKIAIOSFODNN7EXAMPL",
      "AKIAIOSFODNN7EXAMPLEX",
      "AKIBIOSFODNN7EXAMPLE",
      "AKIAIOSFODNN7EXAMP19",
      "XAKIAIOSFODNN7EXAMPLE",
    ],
  },
  github_token: {
    positive: [
      [`token ghp_${GH36}`, `ghp_${GH36}`],
      [`gho_${GH36}.`, `gho_${GH36}`],
      [`(ghu_${GH36})`, `ghu_${GH36}`],
      [`ghs_${GH36}`, `ghs_${GH36}`],
      [
        `github_pat_11ABCDEFG0123456789abc_${"x".repeat(59)}`,
        `github_pat_11ABCDEFG0123456789abc_${"x".repeat(59)}`,
      ],
    ],
    negative: [
      `ghx_${GH36}`,
      `ghp_${GH36.slice(1)}`,
      `ghp_${GH36}Z`,
      `ghp-${GH36}`,
      `myghp_${GH36}`,
      "github_pat_short_123",
    ],
  },
  slack_token: {
    positive: [
      [
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
      ],
      [
        "t=xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef;",
        "xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef",
      ],
      [
        "xoxa-2-1234567890-AbCdEfGhIjKlMnOpQrSt".replace("-2-", "-222222-"),
        "xoxa-222222-1234567890-AbCdEfGhIjKlMnOpQrSt",
      ],
      [
        "xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef",
        "xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef",
      ],
      [
        "hook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX done",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
      ],
    ],
    negative: [
      "xoxz-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
      "xoxb-1234-AbCdEfGhIjKlMnOpQrStUvWx",
      "xoxb-123456789012-1234567890123-short",
      "xoxb_123456789012_1234567890123_AbCdEfGhIjKlMnOpQrStUvWx",
      "https://hooks.example.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    ],
  },
  private_key: {
    positive: [
      [
        `k -----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY----- after`,
        `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----`,
      ],
      [
        `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`,
        `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`,
      ],
      [
        `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----`,
        `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----`,
      ],
      [
        `-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF==\n-----END PGP PRIVATE KEY BLOCK-----`,
        `-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF==\n-----END PGP PRIVATE KEY BLOCK-----`,
      ],
      [`cut -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE`, `-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE`],
    ],
    negative: [
      `-----BEGIN PUBLIC KEY-----\n${PEM_BODY}\n-----END PUBLIC KEY-----`,
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
      "BEGIN PRIVATE KEY without dashes",
      "keep your private key safe",
      "----BEGIN PRIVATE KEY----- four dashes",
    ],
  },
};

describe("built-in detectors", () => {
  it("has a table for every detector, with at least 5 positives and 5 negatives each", () => {
    assert.deepEqual(Object.keys(TABLE).sort(), [...DETECTOR_NAMES].sort());
    for (const [name, rows] of Object.entries(TABLE)) {
      assert.ok(rows.positive.length >= 5, `${name} positives`);
      assert.ok(rows.negative.length >= 5, `${name} negatives`);
    }
  });

  for (const name of DETECTOR_NAMES) {
    const detector = DETECTORS[name];
    describe(name, () => {
      for (const [text, expected] of TABLE[name].positive) {
        it(`finds ${JSON.stringify(expected.slice(0, 40))} in ${JSON.stringify(text.slice(0, 50))}`, () => {
          const spans = detector.find(text);
          assert.deepEqual(
            spans.map(([s, e]) => text.slice(s, e)),
            [expected],
          );
        });
      }
      for (const text of TABLE[name].negative) {
        it(`finds nothing in ${JSON.stringify(text.slice(0, 60))}`, () => {
          assert.deepEqual(
            detector.find(text).map(([s, e]) => text.slice(s, e)),
            [],
          );
        });
      }
    });
  }

  it("finds several values in one text, leftmost first", () => {
    const text = "a@example.com then b@example.org and c@example.net";
    assert.deepEqual(
      DETECTORS.email_address.find(text).map(([s, e]) => text.slice(s, e)),
      ["a@example.com", "b@example.org", "c@example.net"],
    );
  });

  it("hashes one value written two ways the same (canonical forms)", () => {
    assert.equal(
      DETECTORS.credit_card.canonical("4111 1111 1111 1111"),
      DETECTORS.credit_card.canonical("4111-1111-1111-1111"),
    );
    assert.equal(DETECTORS.email_address.canonical("Alice@Example.COM"), "alice@example.com");
    assert.equal(
      DETECTORS.phone_number.canonical("(415) 555-2671"),
      DETECTORS.phone_number.canonical("415.555.2671"),
    );
  });

  it("checks Luhn sums and IPv6 forms as their definitions say", () => {
    assert.equal(luhnValid("79927398713"), true); // the classic example of ISO/IEC 7812-1
    assert.equal(luhnValid("79927398710"), false);
    assert.equal(validIpv6("::"), false); // no digit at all: too likely to be punctuation
    assert.equal(validIpv6("1:2:3:4:5:6:7::"), true);
    assert.equal(validIpv6("1:2:3:4:5:6:7:8::"), false);
  });

  it("stays linear on long texts made of a detector's own characters", () => {
    // Each of these would make a naive pattern rescan from every position. The detectors must
    // still answer (no assertion on time: the test runner's timeout is what a stall would hit).
    const long = 200_000;
    for (const text of [
      "a".repeat(long),
      "@".repeat(long),
      `${"a.".repeat(long / 2)}@`,
      "1".repeat(long),
      "1-".repeat(long / 2),
      "1.".repeat(long / 2),
      ":".repeat(long),
      "eyJ".repeat(long / 3),
      "-----BEGIN ".repeat(long / 11),
    ]) {
      for (const name of DETECTOR_NAMES) DETECTORS[name].find(text);
    }
  });
});
