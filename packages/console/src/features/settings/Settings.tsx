import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useLocation } from "wouter";
import { ApiError } from "../../api/client.js";
import { configs } from "../../api/endpoints.js";
import { announce } from "../../components/ui/Announcer.js";
import { ConfirmDialog } from "../../components/ui/Dialog.js";
import { ErrorBanner, TextField } from "../../components/ui/Field.js";
import { TenantRetention } from "./TenantRetention.js";

/** The current configuration's settings: schema (read-only), retention, signing, name, delete. */
export function Settings(props: { configId: string; onCreateNew: () => void }) {
  const { configId } = props;
  const queries = useQueryClient();
  const [, navigate] = useLocation();
  const config = useQuery({ queryKey: ["config", configId], queryFn: () => configs.get(configId) });
  const [name, setName] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [confirming, setConfirming] = useState(false);
  const c = config.data;
  const fieldError = error instanceof ApiError ? error.fieldError("/name") : undefined;

  async function rename(event: FormEvent) {
    event.preventDefault();
    if (!c) return;
    setError(undefined);
    try {
      await configs.update({ id: c.id, updated_at: c.updated_at, name: (name ?? c.name).trim() });
      await queries.invalidateQueries({ queryKey: ["config", configId] });
      await queries.invalidateQueries({ queryKey: ["configs"] });
      setName(undefined);
      announce("Saved");
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <ErrorBanner error={config.error ?? (fieldError ? undefined : error)} />
      {c ? (
        <>
          <form className="card" onSubmit={rename} aria-label="Name">
            <h2>Name</h2>
            <TextField
              label="Configuration name"
              value={name ?? c.name}
              onChange={(e) => setName(e.target.value)}
              error={fieldError}
            />
            <button
              type="submit"
              className="button primary"
              disabled={name === undefined || name.trim() === c.name}
            >
              Save name
            </button>
          </form>
          <div className="card">
            <h2>Audit Log Schema</h2>
            <p className="muted">
              A configuration's schema is fixed: to log other fields, create a new configuration.
            </p>
            <div className="table-wrap">
              <table className="results compact">
                <caption className="visually-hidden">Schema fields</caption>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Size</th>
                    <th scope="col">Required</th>
                    <th scope="col">Redact</th>
                    <th scope="col">Partitioned</th>
                    <th scope="col">Visible by default</th>
                  </tr>
                </thead>
                <tbody>
                  {(c.schema?.fields ?? []).map((f) => (
                    <tr key={f.id}>
                      <td className="mono">{f.id}</td>
                      <td>{f.name ?? ""}</td>
                      <td>{f.type}</td>
                      <td>{f.size ?? ""}</td>
                      <td>{f.required ? "yes" : "no"}</td>
                      <td>{f.redact ? "yes" : "no"}</td>
                      <td>{f.partitioned ? "yes" : "no"}</td>
                      <td>{f.ui_default_visible ? "yes" : "no"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <button type="button" className="button" onClick={props.onCreateNew}>
              Create a new configuration
            </button>
          </div>
          <div className="card">
            <h2>Retention, redaction and signing</h2>
            <dl className="facts">
              <dt>Hot storage</dt>
              <dd>{c.hot_storage ?? "default"}</dd>
              <dt>Warm storage</dt>
              <dd>{c.warm_storage ?? "default"}</dd>
              <dt>Cold storage</dt>
              <dd>{c.cold_storage ?? "none"}</dd>
              <dt>Redaction</dt>
              <dd>{(c["redaction"] as { enabled?: boolean } | undefined)?.enabled ? "on" : "off"}</dd>
              <dt>Server signing</dt>
              <dd>{c.vault_sign ? `on (key ${c.vault_key_id ?? ""})` : "off"}</dd>
            </dl>
            {c.vault_sign ? (
              <button
                type="button"
                className="button"
                onClick={async () => {
                  try {
                    await configs.rotateKey(c.id);
                    await queries.invalidateQueries({ queryKey: ["config", configId] });
                    announce("The signing key was rotated");
                  } catch (caught) {
                    setError(caught);
                  }
                }}
              >
                Rotate signing key
              </button>
            ) : null}
          </div>
          <TenantRetention config={c} />
          <div className="card danger-zone">
            <h2>Delete</h2>
            <p>
              Deleting the configuration stops new events and hides it; the events already logged are kept.
            </p>
            <button type="button" className="button danger" onClick={() => setConfirming(true)}>
              Delete configuration
            </button>
          </div>
          <ConfirmDialog
            open={confirming}
            onOpenChange={setConfirming}
            title={`Delete ${c.name}?`}
            description={`Configuration ${c.name} (${c.id}) will take no more events. The events it holds are kept.`}
            confirmLabel={`Delete ${c.name}`}
            onConfirm={async () => {
              try {
                await configs.delete(c.id);
                setConfirming(false);
                await queries.invalidateQueries({ queryKey: ["configs"] });
                navigate("/");
              } catch (caught) {
                setConfirming(false);
                setError(caught);
              }
            }}
          />
        </>
      ) : (
        <p role="status">Loading…</p>
      )}
    </section>
  );
}
