import { useQueryClient } from "@tanstack/react-query";
import type { ConfigView, PartitionOverrideView } from "@veritrail/core";
import { type FormEvent, useState } from "react";
import { ApiError } from "../../api/client.js";
import { configs } from "../../api/endpoints.js";
import { announce } from "../../components/ui/Announcer.js";
import { ConfirmDialog, Dialog } from "../../components/ui/Dialog.js";
import { ErrorBanner, TextField } from "../../components/ui/Field.js";

/*
 * Tenant retention (Pangea's "Tenant Retention Settings"; docs/design/retention.md "Per-tenant
 * overrides"): for a schema with a partitioned field, the tenants whose events keep their own
 * warm and cold tiers, with add, edit and remove through `v1beta/config/partition_overrides`.
 */

/** A JSON pointer reference token (RFC 6901): what the server names a tenant's override by. */
function pointerToken(value: string): string {
  return value.replaceAll("~", "~0").replaceAll("/", "~1");
}

type Editing = { kind: "add" } | { kind: "edit"; value: string; override: PartitionOverrideView };

export function TenantRetention(props: { config: ConfigView }) {
  const { config } = props;
  const queries = useQueryClient();
  const field = config.schema.fields.find((f) => f.partitioned);
  const [editing, setEditing] = useState<Editing | undefined>();
  const [removing, setRemoving] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  if (!field) return null;
  const overrides = Object.entries(config.partition_overrides ?? {}).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );

  async function saved(message: string) {
    await queries.invalidateQueries({ queryKey: ["config", config.id] });
    announce(message);
  }

  return (
    <div className="card">
      <h2 id="tenant-retention-title">Tenant retention</h2>
      <p className="muted">
        Events are partitioned by <code>{field.id}</code>. A tenant listed here keeps its events for its own
        warm and cold storage; every other tenant has the configuration's (warm{" "}
        {config.warm_storage ?? "kept"}, cold {config.cold_storage ?? "none"}).
      </p>
      <ErrorBanner error={error} />
      {overrides.length === 0 ? (
        <p>No tenant has its own retention.</p>
      ) : (
        <div className="table-wrap">
          <table className="results compact" aria-labelledby="tenant-retention-title">
            <thead>
              <tr>
                <th scope="col">{field.name ?? field.id}</th>
                <th scope="col">Warm storage</th>
                <th scope="col">Cold storage</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {overrides.map(([value, override]) => (
                <tr key={value}>
                  <td className="mono">{value}</td>
                  <td>{override.warm_storage ?? `${config.warm_storage ?? "kept"} (default)`}</td>
                  <td>{override.cold_storage ?? `${config.cold_storage ?? "none"} (default)`}</td>
                  <td>
                    <button
                      type="button"
                      className="button small"
                      aria-label={`Edit retention of ${value}`}
                      onClick={() => setEditing({ kind: "edit", value, override })}
                    >
                      Edit
                    </button>{" "}
                    <button
                      type="button"
                      className="button small danger"
                      aria-label={`Remove retention of ${value}`}
                      onClick={() => setRemoving(value)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <button type="button" className="button" onClick={() => setEditing({ kind: "add" })}>
        Add tenant retention
      </button>
      {editing ? (
        <OverrideDialog
          config={config}
          fieldId={field.id}
          editing={editing}
          onClose={() => setEditing(undefined)}
          onSaved={async (value) => {
            setEditing(undefined);
            setError(undefined);
            await saved(`Saved the retention of ${value}`);
          }}
        />
      ) : null}
      <ConfirmDialog
        open={removing !== undefined}
        onOpenChange={(open) => {
          if (!open) setRemoving(undefined);
        }}
        title={`Remove the retention of ${removing ?? ""}?`}
        description={`Events of ${removing ?? ""} will have the configuration's warm and cold storage again.`}
        confirmLabel={`Remove ${removing ?? ""}`}
        onConfirm={async () => {
          const value = removing!;
          try {
            await configs.partitionOverrides(config.id, { [value]: null });
            setRemoving(undefined);
            setError(undefined);
            await saved(`Removed the retention of ${value}`);
          } catch (caught) {
            setRemoving(undefined);
            setError(caught);
          }
        }}
      />
    </div>
  );
}

function OverrideDialog(props: {
  config: ConfigView;
  fieldId: string;
  editing: Editing;
  onClose: () => void;
  onSaved: (value: string) => Promise<void>;
}) {
  const { config, editing } = props;
  const initial = editing.kind === "edit" ? editing.override : {};
  const [value, setValue] = useState(editing.kind === "edit" ? editing.value : "");
  const [warm, setWarm] = useState(initial.warm_storage ?? "");
  const [cold, setCold] = useState(initial.cold_storage ?? "");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const at = `/overrides/${pointerToken(value)}`;
  const problem = (pointer: string) =>
    error instanceof ApiError ? error.errors.find((e) => e.source === pointer)?.detail : undefined;
  const valueError = problem(at) ?? (error instanceof ApiError ? problem("/overrides") : undefined);
  const known = [at, `${at}/warm_storage`, `${at}/cold_storage`, "/overrides"];
  const other =
    error instanceof ApiError && error.errors.every((e) => known.includes(e.source)) ? undefined : error;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const override: PartitionOverrideView = {
        ...(warm.trim() ? { warm_storage: warm.trim() } : {}),
        ...(cold.trim() ? { cold_storage: cold.trim() } : {}),
      };
      await configs.partitionOverrides(config.id, { [value]: override });
      await props.onSaved(value);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const title = editing.kind === "edit" ? `Retention of ${editing.value}` : "Add tenant retention";
  return (
    <Dialog
      open
      onOpenChange={(open) => {
        if (!open) props.onClose();
      }}
      title={title}
      description={`Leave a tier empty to keep the configuration's (warm ${config.warm_storage ?? "kept"}, cold ${config.cold_storage ?? "none"}).`}
    >
      <form onSubmit={submit}>
        <ErrorBanner error={other} />
        <TextField
          label={`Tenant (${props.fieldId})`}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          readOnly={editing.kind === "edit"}
          required
          error={valueError}
        />
        <TextField
          label="Warm storage"
          value={warm}
          placeholder={config.warm_storage ?? ""}
          hint="e.g. 90d or 1y; 0d for none"
          onChange={(e) => setWarm(e.target.value)}
          error={problem(`${at}/warm_storage`)}
        />
        <TextField
          label="Cold storage"
          value={cold}
          placeholder={config.cold_storage ?? ""}
          hint="e.g. 16month; 0d for none, else at least 180d"
          onChange={(e) => setCold(e.target.value)}
          error={problem(`${at}/cold_storage`)}
        />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy || value === ""}>
            Save retention
          </button>
        </div>
      </form>
    </Dialog>
  );
}
