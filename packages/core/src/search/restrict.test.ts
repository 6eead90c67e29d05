// Restrictions ANDed into a search (restrict.ts; product-features §4 `search_restriction`, §11
// field restrictions, §13): a token's restriction can be narrowed by the request, never widened,
// and no query gets around either.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  conjoin,
  disjoin,
  MATCH_ALL,
  MATCH_NONE,
  type MatchNode,
  negate,
  type QueryNode,
  type SearchFieldType,
  type SearchSchema,
} from "./ast.js";
import { parseQuery } from "./parser.js";
import { type FieldRestrictions, restrictQuery } from "./restrict.js";

const TYPES: Record<string, SearchFieldType> = {
  message: "text",
  actor: "string",
  tenant_id: "string",
  count: "integer",
  is_admin: "boolean",
  created_at: "datetime",
  payload: "string-unindexed",
};
const SCHEMA: SearchSchema = { fields: Object.entries(TYPES).map(([id, type]) => ({ id, type })) };

const exact = (field: string, value: string | number | boolean): MatchNode =>
  ({ kind: "match", field, fieldType: TYPES[field], op: "exact", value }) as MatchNode;
const tenant = (value: string) => exact("tenant_id", value);

function parse(query: string): QueryNode {
  const result = parseQuery(query, SCHEMA);
  assert.ok(result.ok, result.ok ? "" : result.error.detail);
  return result.ast;
}

/** The top-level conjuncts of an AST: what every matching event satisfies, each on its own. */
const conjuncts = (node: QueryNode): readonly QueryNode[] => (node.kind === "and" ? node.children : [node]);

describe("restrictQuery", () => {
  const query = parse("actor:alice");

  it("leaves the query alone when nothing restricts it", () => {
    assert.equal(restrictQuery(query, SCHEMA, {}), query);
    assert.equal(restrictQuery(query, SCHEMA, { token: {}, request: {} }), query);
  });

  it("ANDs a token's restriction in front of the query, as an or of exact matches", () => {
    assert.deepEqual(restrictQuery(query, SCHEMA, { token: { tenant_id: ["acme", "globex"] } }), {
      kind: "and",
      children: [{ kind: "or", children: [tenant("acme"), tenant("globex")] }, query],
    });
  });

  it("uses a single allowed value as the exact match itself", () => {
    assert.deepEqual(restrictQuery(query, SCHEMA, { token: { tenant_id: ["acme"] } }), {
      kind: "and",
      children: [tenant("acme"), query],
    });
  });

  it("gives the restriction alone for the empty query", () => {
    assert.deepEqual(restrictQuery(MATCH_ALL, SCHEMA, { token: { tenant_id: ["acme"] } }), tenant("acme"));
  });

  it("ANDs the fields in the order of their ids, whatever order they came in", () => {
    const restricted = restrictQuery(query, SCHEMA, {
      token: { tenant_id: ["acme"], actor: ["svc-a"] },
      request: { count: ["3"] },
    });
    assert.deepEqual(restricted, {
      kind: "and",
      children: [exact("actor", "svc-a"), exact("count", 3), tenant("acme"), query],
    });
  });

  it("applies a request's restriction on a field the token leaves open", () => {
    assert.deepEqual(restrictQuery(query, SCHEMA, { request: { actor: ["svc-a", "svc-b"] } }), {
      kind: "and",
      children: [{ kind: "or", children: [exact("actor", "svc-a"), exact("actor", "svc-b")] }, query],
    });
  });

  it("lets a request narrow the token's values for a field, keeping only those the token allows", () => {
    const restricted = restrictQuery(query, SCHEMA, {
      token: { tenant_id: ["acme", "globex"] },
      request: { tenant_id: ["globex", "initech"] },
    });
    assert.deepEqual(restricted, { kind: "and", children: [tenant("globex"), query] });
  });

  it("matches nothing when the request asks only for values the token does not allow", () => {
    const restricted = restrictQuery(query, SCHEMA, {
      token: { tenant_id: ["acme"] },
      request: { tenant_id: ["globex"] },
    });
    assert.deepEqual(restricted, MATCH_NONE);
  });

  it("reads a request's empty list as no narrowing, never as a widening", () => {
    assert.deepEqual(
      restrictQuery(query, SCHEMA, { token: { tenant_id: ["acme"] }, request: { tenant_id: [] } }),
      {
        kind: "and",
        children: [tenant("acme"), query],
      },
    );
    assert.equal(restrictQuery(query, SCHEMA, { request: { tenant_id: [] } }), query);
  });

  it("reads a token's empty list as allowing nothing", () => {
    assert.deepEqual(restrictQuery(query, SCHEMA, { token: { tenant_id: [] } }), MATCH_NONE);
  });

  it("allows nothing for a list that is not a list of strings, from either side", () => {
    const bad = (value: unknown) => ({ tenant_id: value }) as unknown as FieldRestrictions;
    for (const value of ["acme", null, {}, [1], ["acme", 2]]) {
      assert.deepEqual(
        restrictQuery(query, SCHEMA, { token: bad(value) }),
        MATCH_NONE,
        JSON.stringify(value),
      );
      assert.deepEqual(
        restrictQuery(query, SCHEMA, { request: bad(value) }),
        MATCH_NONE,
        JSON.stringify(value),
      );
    }
  });

  it("matches nothing for a field the schema does not have, prototype names included", () => {
    assert.deepEqual(restrictQuery(query, SCHEMA, { token: { region: ["eu"] } }), MATCH_NONE);
    const proto = JSON.parse('{"__proto__": ["x"]}') as FieldRestrictions;
    assert.deepEqual(restrictQuery(query, SCHEMA, { token: proto }), MATCH_NONE);
    assert.deepEqual(restrictQuery(query, SCHEMA, { request: { constructor: ["x"] } }), MATCH_NONE);
  });

  it("types the values by the field, dropping those the type cannot hold", () => {
    assert.deepEqual(restrictQuery(MATCH_ALL, SCHEMA, { token: { count: ["1", "x", "07"] } }), {
      kind: "or",
      children: [exact("count", 1), exact("count", 7)],
    });
    assert.deepEqual(
      restrictQuery(MATCH_ALL, SCHEMA, { token: { is_admin: ["false", "no"] } }),
      exact("is_admin", false),
    );
    assert.deepEqual(restrictQuery(MATCH_ALL, SCHEMA, { token: { count: ["x"] } }), MATCH_NONE);
  });

  it("compares values once typed: one instant or one integer written two ways is one value", () => {
    const restricted = restrictQuery(MATCH_ALL, SCHEMA, {
      token: { created_at: ["2024-05-01", "2024-05-02T00:00:00Z"], count: ["5"] },
      request: { created_at: ["2024-05-01T02:00:00+02:00"], count: ["005", "5"] },
    });
    assert.deepEqual(restricted, {
      kind: "and",
      children: [exact("count", 5), exact("created_at", "2024-05-01T00:00:00.000000Z")],
    });
  });

  it("restricts a string-unindexed field too: the boundary holds whatever the index", () => {
    assert.deepEqual(restrictQuery(MATCH_ALL, SCHEMA, { token: { payload: ["p"] } }), exact("payload", "p"));
  });

  it("keeps each value once", () => {
    assert.deepEqual(
      restrictQuery(MATCH_ALL, SCHEMA, { token: { tenant_id: ["acme", "acme"] } }),
      tenant("acme"),
    );
  });
});

describe("restrictQuery against queries that try to escape", () => {
  const token = { tenant_id: ["acme"] };
  const attempts = [
    "tenant_id=globex",
    "x OR tenant_id=globex",
    "tenant_id=acme OR tenant_id=globex",
    "-tenant_id=acme",
    "-(tenant_id=acme)",
    "-(-tenant_id=globex)",
    "globex",
    'tenant_id:""',
    'message:""',
    "(a OR b) OR (c AND -d)",
    "a b OR c",
    "-(a OR tenant_id=acme)",
    "",
  ];

  for (const attempt of attempts) {
    it(`keeps the restriction a top-level conjunct under ${JSON.stringify(attempt)}`, () => {
      const query = parse(attempt);
      const restricted = restrictQuery(query, SCHEMA, { token });
      const top = conjuncts(restricted);
      assert.deepEqual(top[0], tenant("acme"));
      // Everything else is the query's own conjuncts, unchanged.
      assert.deepEqual(top.slice(1), query.kind === "all" ? [] : conjuncts(query));
    });
  }

  it("keeps a narrowed request restriction beside the token's under an OR query", () => {
    const query = parse("tenant_id=globex OR actor:x");
    const restricted = restrictQuery(query, SCHEMA, { token, request: { actor: ["svc"] } });
    assert.deepEqual(conjuncts(restricted), [exact("actor", "svc"), tenant("acme"), query]);
  });
});

// --- Semantics: the restricted query finds exactly what the query finds inside the restriction --

type Event = Record<string, string | number | boolean>;

/** A reference reading of ast.ts's meaning: a missing field matches nothing; not is plain negation. */
function evaluate(node: QueryNode, event: Event): boolean {
  switch (node.kind) {
    case "all":
      return true;
    case "none":
      return false;
    case "and":
      return node.children.every((c) => evaluate(c, event));
    case "or":
      return node.children.some((c) => evaluate(c, event));
    case "not":
      return !evaluate(node.child, event);
    case "match": {
      if (node.field === null) {
        return Object.entries(TYPES).some(
          ([id, type]) =>
            (type === "string" || type === "text") &&
            typeof event[id] === "string" &&
            event[id].includes(node.value),
        );
      }
      const value = event[node.field];
      if (value === undefined) return false;
      switch (node.op) {
        case "contains":
          return typeof value === "string" && value.includes(node.value as string);
        case "exact":
          return value === node.value;
        case "gt":
          return typeof value === typeof node.value && value > node.value;
        case "lt":
          return typeof value === typeof node.value && value < node.value;
      }
    }
  }
}

const TENANTS = ["acme", "globex", "initech"];
const ACTORS = ["svc-a", "svc-b"];

const event: fc.Arbitrary<Event> = fc.record(
  {
    tenant_id: fc.constantFrom(...TENANTS),
    actor: fc.constantFrom(...ACTORS),
    message: fc.constantFrom("login acme", "logout", "globex wins"),
    count: fc.integer({ min: 0, max: 3 }),
    is_admin: fc.boolean(),
  },
  { requiredKeys: ["message"] },
);

const restriction: fc.Arbitrary<FieldRestrictions> = fc.record(
  {
    tenant_id: fc.subarray([...TENANTS, "other"]),
    actor: fc.subarray([...ACTORS, "other"]),
    count: fc.subarray(["0", "1", "2", "x"]),
  },
  { requiredKeys: [] },
);

const leaf: fc.Arbitrary<QueryNode> = fc.oneof(
  fc.constantFrom(...TENANTS, "acme", "log", "").map((value) => parse(`"${value}"`)),
  fc.constantFrom(...TENANTS, "acme").map((value) => parse(`tenant_id=${value}`)),
  fc.constantFrom("tenant_id:", "actor:", "message:").map((prefix) => parse(`${prefix}"a"`)),
  fc.constantFrom(...ACTORS).map((value) => parse(`actor=${value}`)),
  fc.integer({ min: 0, max: 3 }).map((n) => parse(`count>${n}`)),
  fc.boolean().map((b) => parse(`is_admin=${b}`)),
);

const { node: query } = fc.letrec<{ node: QueryNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("node"), { minLength: 2, maxLength: 3 }).map(conjoin),
    fc.array(tie("node"), { minLength: 2, maxLength: 3 }).map(disjoin),
    tie("node").map(negate),
  ),
}));

/** Whether `event` is inside both restrictions, read straight from the lists. */
function allowed(event: Event, token: FieldRestrictions, request: FieldRestrictions): boolean {
  const inside = (list: readonly string[] | undefined, field: string) => {
    if (list === undefined) return true;
    const value = event[field];
    return value !== undefined && list.some((v) => (TYPES[field] === "integer" ? Number(v) : v) === value);
  };
  for (const field of Object.keys(TYPES)) {
    const asked = request[field];
    if (!inside(token[field], field)) return false;
    if (asked !== undefined && asked.length > 0 && !inside(asked, field)) return false;
  }
  return true;
}

describe("restrictQuery semantics", () => {
  it("finds an event exactly when the query finds it and it is inside both restrictions", () => {
    fc.assert(
      fc.property(
        query,
        restriction,
        restriction,
        fc.array(event, { maxLength: 12 }),
        (q, token, request, events) => {
          const restricted = restrictQuery(q, SCHEMA, { token, request });
          for (const e of events) {
            assert.equal(evaluate(restricted, e), allowed(e, token, request) && evaluate(q, e));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("never finds an event outside the token's restriction, whatever the request and query say", () => {
    fc.assert(
      fc.property(
        query,
        restriction,
        restriction,
        fc.array(event, { maxLength: 12 }),
        (q, token, request, events) => {
          const restricted = restrictQuery(q, SCHEMA, { token, request });
          for (const e of events) {
            if (evaluate(restricted, e)) assert.ok(allowed(e, token, {}), JSON.stringify({ e, token }));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
