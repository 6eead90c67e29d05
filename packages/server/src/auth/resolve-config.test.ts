// resolveConfig, the config-resolution rules of docs/design/config-resolution.md: an explicit
// config_id must be covered by the grant; none given resolves the one covered configuration;
// several covered is AmbiguousConfigID; every refusal of the token itself is a bare Unauthorized.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../errors.js";
import type { ServiceGrant, TokenRecord } from "../store/contract/store.js";
import { AUDIT_ENDPOINTS, resolveConfig } from "./resolve-config.js";

const A = `pci_${"a".repeat(32)}`;
const B = `pci_${"b".repeat(32)}`;
const C = `pci_${"c".repeat(32)}`;
/** A configuration that was deleted: still named by an old grant, gone from the project. */
const GONE = `pci_${"d".repeat(32)}`;
const PROJECT = [A, B, C];

function token(audit: ServiceGrant | undefined, kind: TokenRecord["kind"] = "service"): TokenRecord {
  return {
    id: "ptk_test",
    projectId: "ppj_test",
    name: "test",
    kind,
    secretHash: Buffer.alloc(32),
    grants: audit ? { audit } : {},
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
}

/** Runs resolveConfig expecting an ApiError, and gives it back. */
function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ApiError, `an ApiError, got ${String(error)}`);
    return error;
  }
  assert.fail("resolveConfig resolved where it should refuse");
}

function assertUnauthorized(run: () => unknown): void {
  const error = refusal(run);
  assert.equal(error.status, "Unauthorized");
  assert.equal(error.message, "Not authorized to access this resource");
  assert.deepEqual(error.errors, []);
}

describe("resolveConfig", () => {
  describe("with an explicit config_id", () => {
    it("returns it when the grant lists it", () => {
      assert.equal(resolveConfig(token({ configs: [A, B] }), "v1/log", B, PROJECT), B);
    });

    it("returns it when the grant is all of the project's configurations", () => {
      assert.equal(resolveConfig(token({ configs: "all" }), "v1/root", C, PROJECT), C);
    });

    it("answers Unauthorized for one the grant does not cover, whether it exists or not", () => {
      const t = token({ configs: [A] });
      assertUnauthorized(() => resolveConfig(t, "v1/log", B, PROJECT));
      assertUnauthorized(() => resolveConfig(t, "v1/log", `pci_${"z".repeat(32)}`, PROJECT));
      assertUnauthorized(() => resolveConfig(token({ configs: "all" }), "v1/log", GONE, PROJECT));
    });

    it("answers Unauthorized for a granted configuration that no longer exists", () => {
      assertUnauthorized(() => resolveConfig(token({ configs: [A, GONE] }), "v1/log", GONE, PROJECT));
    });

    for (const bad of [
      "",
      "default",
      `pci_${"a".repeat(31)}`,
      `pci_${"A".repeat(32)}`,
      `pci_${"1".repeat(32)}`,
      7,
      {},
    ]) {
      it(`answers ValidationError DoesNotMatchPattern at /config_id for ${JSON.stringify(bad)}`, () => {
        const error = refusal(() => resolveConfig(token({ configs: [A] }), "v1/log", bad, PROJECT));
        assert.equal(error.status, "ValidationError");
        assert.deepEqual(
          error.errors.map(({ code, source }) => ({ code, source })),
          [{ code: "DoesNotMatchPattern", source: "/config_id" }],
        );
      });
    }
  });

  describe("without config_id", () => {
    it("returns the one configuration the grant covers", () => {
      assert.equal(resolveConfig(token({ configs: [B] }), "v2/log", undefined, PROJECT), B);
    });

    it("treats an explicit null config_id as absent, like every other optional field", () => {
      assert.equal(resolveConfig(token({ configs: [B] }), "v2/log", null, PROJECT), B);
      const error = refusal(() => resolveConfig(token({ configs: [A, B] }), "v1/log", null, PROJECT));
      assert.equal(error.status, "AmbiguousConfigID");
    });

    it("counts only configurations that still exist", () => {
      assert.equal(resolveConfig(token({ configs: [GONE, C] }), "v1/log", undefined, PROJECT), C);
    });

    it('returns the project\'s only configuration for a grant of "all"', () => {
      assert.equal(resolveConfig(token({ configs: "all" }), "v1/log", undefined, [A]), A);
    });

    it("answers AmbiguousConfigID with one FieldRequired error at /config_id when several are covered", () => {
      for (const grant of [{ configs: [A, B] }, { configs: "all" as const }]) {
        const error = refusal(() => resolveConfig(token(grant), "v1/log", undefined, PROJECT));
        assert.equal(error.status, "AmbiguousConfigID");
        assert.match(error.message, /config_id/);
        assert.deepEqual(
          error.errors.map(({ code, source }) => ({ code, source })),
          [{ code: "FieldRequired", source: "/config_id" }],
        );
      }
    });

    it("answers MissingConfigID when the grant covers none of the project's configurations", () => {
      const cases: [ServiceGrant, string[]][] = [
        [{ configs: [GONE] }, PROJECT],
        [{ configs: [] }, PROJECT],
        [{ configs: "all" }, []],
      ];
      for (const [grant, project] of cases) {
        const error = refusal(() => resolveConfig(token(grant), "v1/log", undefined, project));
        assert.equal(error.status, "MissingConfigID");
        assert.deepEqual(error.errors, []);
      }
    });
  });

  describe("the token itself", () => {
    it("answers Unauthorized for the admin credential, even with a grant", () => {
      assertUnauthorized(() =>
        resolveConfig(token({ configs: "all" }, "admin"), "v1/log", undefined, PROJECT),
      );
      assertUnauthorized(() => resolveConfig(token({ configs: [A] }, "admin"), "v1/log", A, PROJECT));
    });

    it("answers Unauthorized for a service token without an audit grant", () => {
      assertUnauthorized(() => resolveConfig(token(undefined), "v1/log", undefined, PROJECT));
    });

    it("answers Unauthorized for an endpoint outside the grant's endpoints, before reading config_id", () => {
      const t = token({ configs: [A], endpoints: ["v1/root"] });
      assert.equal(resolveConfig(t, "v1/root", undefined, PROJECT), A);
      assertUnauthorized(() => resolveConfig(t, "v1/log", undefined, PROJECT));
      assertUnauthorized(() => resolveConfig(t, "v2/log", A, PROJECT));
      assertUnauthorized(() => resolveConfig(t, "v2/log_async", "not a config id", PROJECT));
      assertUnauthorized(() =>
        resolveConfig(token({ configs: [A], endpoints: [] }), "v1/root", undefined, PROJECT),
      );
    });

    it("lets a grant without an endpoint list call every audit endpoint", () => {
      const t = token({ configs: [A] });
      for (const endpoint of AUDIT_ENDPOINTS) assert.equal(resolveConfig(t, endpoint, undefined, PROJECT), A);
    });
  });
});
