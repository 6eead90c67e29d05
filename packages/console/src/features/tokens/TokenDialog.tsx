import { Menu } from "@base-ui/react/menu";
import { useQueryClient } from "@tanstack/react-query";
import type { CreatedToken, TokenView } from "@veritrail/core";
import { type FormEvent, useEffect, useState } from "react";
import { ApiError } from "../../api/client.js";
import { tokens } from "../../api/endpoints.js";
import { Dialog } from "../../components/ui/Dialog.js";
import { ErrorBanner, TextField } from "../../components/ui/Field.js";
import { ConfigAccessDialog } from "./ConfigAccessDialog.js";
import { EndpointAccessDialog } from "./EndpointAccessDialog.js";
import { FieldRestrictionsDialog } from "./FieldRestrictionsDialog.js";
import { draftOf, type GrantDraft, grantOf } from "./grant-draft.js";
import { SecretOnce } from "./SecretOnce.js";

/** Create Token (also from a template) and Update Token: name, expiry, and the audit service with its gear. */
export function TokenDialog(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  mode: "create" | "update";
  token?: TokenView | undefined;
  configs: { id: string; name: string }[];
  defaultConfigId?: string | undefined;
}) {
  const queries = useQueryClient();
  const [name, setName] = useState("");
  const [expires, setExpires] = useState("");
  const [audit, setAudit] = useState(true);
  const [draft, setDraft] = useState<GrantDraft>(draftOf(undefined));
  const [gear, setGear] = useState<"endpoints" | "configs" | "fields" | undefined>();
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<CreatedToken | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!props.open) return;
    const t = props.token;
    setName(t ? (props.mode === "create" ? `Copy of ${t.name}` : t.name) : "");
    setExpires(t?.expires_at ? t.expires_at.slice(0, 16) : "");
    setAudit(t ? t.grants.audit !== undefined : true);
    const d = draftOf(t);
    if (!t && props.defaultConfigId) d.configs = [props.defaultConfigId];
    setDraft(d);
    setError(undefined);
    setCreated(undefined);
  }, [props.open, props.token, props.mode, props.defaultConfigId]);

  const chosenConfigs =
    draft.configs === "all"
      ? props.configs
      : props.configs.filter((c) => (draft.configs as string[]).includes(c.id));
  const apiError = error instanceof ApiError ? error : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const grants = audit ? { audit: grantOf(draft) } : {};
    const expiresAt = expires ? new Date(`${expires}Z`).toISOString() : null;
    try {
      if (props.mode === "create") {
        const made = await tokens.create({
          name: name.trim(),
          ...(expiresAt ? { expires_at: expiresAt } : {}),
          grants,
        });
        setCreated(made);
      } else {
        await tokens.update({ id: props.token!.id, name: name.trim(), expires_at: expiresAt, grants });
        props.onOpenChange(false);
      }
      await queries.invalidateQueries({ queryKey: ["tokens"] });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const title = props.mode === "create" ? "Create Token" : "Update Token";
  const summary = [
    draft.configs === "all"
      ? "all configurations"
      : `${chosenConfigs.length} configuration${chosenConfigs.length === 1 ? "" : "s"}`,
    draft.endpoints === null
      ? "all endpoints"
      : `${draft.endpoints.length} endpoint${draft.endpoints.length === 1 ? "" : "s"}`,
    Object.values(draft.restrictions).some((f) => Object.keys(f).length > 0)
      ? "field restrictions"
      : "no field restrictions",
  ].join(", ");
  return (
    <Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      title={title}
      description={
        created
          ? "The token was created."
          : "A service token calls the Secure Audit Log API. Its secret is shown once, when it is created."
      }
    >
      {created ? (
        <>
          <SecretOnce secret={created.token} name={created.name} />
          <div className="dialog-actions">
            <button type="button" className="button primary" onClick={() => props.onOpenChange(false)}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit}>
          <ErrorBanner error={error} />
          <TextField
            label="Token name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            error={apiError?.fieldError("/name")}
          />
          <TextField
            label="Expires at (UTC, empty for never)"
            type="datetime-local"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            error={apiError?.fieldError("/expires_at")}
          />
          <fieldset className="choice">
            <legend>Services</legend>
            <div className="service-row">
              <label className="check-label">
                <input type="checkbox" checked={audit} onChange={(e) => setAudit(e.target.checked)} /> Secure
                Audit Log
              </label>
              {audit ? (
                <Menu.Root>
                  <Menu.Trigger className="icon-button gear" aria-label="Secure Audit Log access settings">
                    ⚙
                  </Menu.Trigger>
                  <Menu.Portal>
                    <Menu.Positioner className="positioner" sideOffset={4} align="start">
                      <Menu.Popup className="menu">
                        <Menu.Item className="menu-item" onClick={() => setGear("endpoints")}>
                          Manage Endpoint Access
                        </Menu.Item>
                        <Menu.Item className="menu-item" onClick={() => setGear("configs")}>
                          Manage Config Access
                        </Menu.Item>
                        <Menu.Item className="menu-item" onClick={() => setGear("fields")}>
                          Manage Field Restrictions
                        </Menu.Item>
                      </Menu.Popup>
                    </Menu.Positioner>
                  </Menu.Portal>
                </Menu.Root>
              ) : null}
            </div>
            {audit ? <p className="hint">{summary}</p> : null}
            {apiError?.fieldError("/grants") ? (
              <p className="error-text">{apiError.fieldError("/grants")}</p>
            ) : null}
          </fieldset>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => props.onOpenChange(false)}>
              Cancel
            </button>
            <button type="submit" className="button primary" disabled={busy || name.trim() === ""}>
              {props.mode === "create" ? "Create token" : "Save token"}
            </button>
          </div>
        </form>
      )}
      <EndpointAccessDialog
        open={gear === "endpoints"}
        onOpenChange={(o) => setGear(o ? "endpoints" : undefined)}
        endpoints={draft.endpoints}
        onChange={(endpoints) => setDraft({ ...draft, endpoints })}
      />
      <ConfigAccessDialog
        open={gear === "configs"}
        onOpenChange={(o) => setGear(o ? "configs" : undefined)}
        configs={props.configs}
        value={draft.configs}
        onChange={(configs) => setDraft({ ...draft, configs })}
      />
      <FieldRestrictionsDialog
        open={gear === "fields"}
        onOpenChange={(o) => setGear(o ? "fields" : undefined)}
        configs={chosenConfigs}
        value={draft.restrictions}
        onChange={(restrictions) => setDraft({ ...draft, restrictions })}
      />
    </Dialog>
  );
}
