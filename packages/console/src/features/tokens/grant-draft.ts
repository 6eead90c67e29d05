import type { AuditGrant, TokenView } from "@veritrail/core";

/** A token's grant as the dialogs edit it. `endpoints: null` is every endpoint. */
export interface GrantDraft {
  configs: string[] | "all";
  endpoints: string[] | null;
  restrictions: Record<string, Record<string, string[]>>;
}

export function draftOf(token: TokenView | undefined): GrantDraft {
  const audit = token?.grants.audit;
  return {
    configs: audit?.configs === "all" ? "all" : [...(audit?.configs ?? [])],
    endpoints: audit?.endpoints ? [...audit.endpoints] : null,
    restrictions: structuredClone(audit?.field_restrictions ?? {}),
  };
}

export function grantOf(draft: GrantDraft): AuditGrant {
  const restrictions = Object.fromEntries(
    Object.entries(draft.restrictions)
      .filter(([configId]) => draft.configs === "all" || draft.configs.includes(configId))
      .map(([configId, fields]) => [
        configId,
        Object.fromEntries(
          Object.entries(fields)
            .map(([f, vs]) => [f, vs.filter((v) => v !== "")] as const)
            .filter(([, vs]) => vs.length > 0),
        ),
      ])
      .filter(([, fields]) => Object.keys(fields as object).length > 0),
  );
  return {
    configs: draft.configs,
    ...(draft.endpoints ? { endpoints: draft.endpoints } : {}),
    ...(Object.keys(restrictions).length > 0 ? { field_restrictions: restrictions } : {}),
  };
}
