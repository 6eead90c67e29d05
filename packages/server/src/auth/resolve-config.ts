import { type AuditEndpoint, isId } from "@veritrail/core";
import { ApiError } from "../errors.js";
import type { TokenRecord } from "../store/contract/store.js";

// The endpoint list is wire vocabulary, shared with the console: it lives in core.
export { AUDIT_ENDPOINTS, type AuditEndpoint } from "@veritrail/core";

/**
 * Resolves the one configuration a data-plane request works on (architecture "Config
 * resolution"):
 * 1. `config_id` given → it must be covered by the token's audit grant. An id the grant does
 *    not cover answers `Unauthorized` whether or not it exists, so a token cannot probe for
 *    other configurations.
 * 2. none given and the grant covers exactly one configuration → that one.
 * 3. none given and it covers several → `AmbiguousConfigID`, pointing at `/config_id`.
 * `projectConfigIds` lists the live configurations of the token's project (for "all" grants).
 */
export function resolveConfig(
  token: TokenRecord,
  endpoint: AuditEndpoint,
  requested: unknown,
  projectConfigIds: readonly string[],
): string {
  const grant = token.grants.audit;
  if (token.kind !== "service" || !grant) throw ApiError.unauthorized();
  if (grant.endpoints && !grant.endpoints.includes(endpoint)) throw ApiError.unauthorized();
  const covered =
    grant.configs === "all" ? projectConfigIds : grant.configs.filter((id) => projectConfigIds.includes(id));
  // An explicit null is absent, as for every other optional field.
  if (requested !== undefined && requested !== null) {
    if (!isId("pci", requested)) {
      throw ApiError.validation([
        {
          code: "DoesNotMatchPattern",
          detail: "config_id must look like pci_ followed by 32 of a-z2-7",
          source: "/config_id",
        },
      ]);
    }
    if (!covered.includes(requested)) throw ApiError.unauthorized();
    return requested;
  }
  if (covered.length === 1) return covered[0]!;
  if (covered.length === 0) {
    throw new ApiError("MissingConfigID", "This token's grant covers no configuration of the audit service");
  }
  throw new ApiError(
    "AmbiguousConfigID",
    `This token can use ${covered.length} configurations; pass config_id to say which one`,
    [
      {
        code: "FieldRequired",
        detail: "config_id is required for a token that covers several configurations",
        source: "/config_id",
      },
    ],
  );
}
