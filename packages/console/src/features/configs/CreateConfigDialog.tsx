import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ConfigView, CreatedToken, SearchFieldType } from "@veritrail/core";
import { type FormEvent, useState } from "react";
import { ApiError } from "../../api/client.js";
import { configs, tokens } from "../../api/endpoints.js";
import { CopyButton } from "../../components/ui/Copy.js";
import { Dialog } from "../../components/ui/Dialog.js";
import { ErrorBanner, TextField } from "../../components/ui/Field.js";

/*
 * + Create New: (1) name and schema, standard or custom; (2) retention, redaction, signing;
 * (3) access: a new token, or extend an existing one. It ends on the new config_id and, when a
 * token was made, its secret shown once.
 */

interface FieldRow {
  key: number;
  id: string;
  name: string;
  type: SearchFieldType;
  size: string;
  required: boolean;
  redact: boolean;
  visible: boolean;
}

const TYPES: SearchFieldType[] = ["string", "text", "string-unindexed", "integer", "boolean", "datetime"];
const STRINGS: SearchFieldType[] = ["string", "text", "string-unindexed"];
const FIELD_ID = /^[a-z][0-9a-z_]*$/;

let nextKey = 1;
function row(id = "", type: SearchFieldType = "string", extra: Partial<FieldRow> = {}): FieldRow {
  return {
    key: nextKey++,
    id,
    name: "",
    type,
    size: "",
    required: false,
    redact: false,
    visible: false,
    ...extra,
  };
}

/** Problems of the custom schema as typed, by field row and column, before the server sees it. */
function localProblems(fields: FieldRow[]): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    if (!f.id) out.set(`${i}/id`, "an id is required");
    else if (!FIELD_ID.test(f.id)) out.set(`${i}/id`, "lower-case snake case, starting with a letter");
    else if (f.id === "received_at") out.set(`${i}/id`, "received_at is set by the server");
    else if (seen.has(f.id)) out.set(`${i}/id`, `${f.id} appears twice`);
    seen.add(f.id);
    if (f.size !== "" && !(Number.isInteger(Number(f.size)) && Number(f.size) >= 1)) {
      out.set(`${i}/size`, "a whole number of at least 1");
    }
  });
  if (fields.length > 0 && !fields.some((f) => f.required))
    out.set("fields", "at least one field must be required");
  return out;
}

function schemaBody(fields: FieldRow[]) {
  return {
    fields: fields.map((f) => ({
      id: f.id,
      ...(f.name ? { name: f.name } : {}),
      type: f.type,
      ...(f.size !== "" && (STRINGS.includes(f.type) || f.type === "datetime")
        ? { size: Number(f.size) }
        : {}),
      required: f.required,
      ...(STRINGS.includes(f.type) ? { redact: f.redact } : {}),
      ui_default_visible: f.visible,
    })),
    save_malformed: "reject",
  };
}

export function CreateConfigDialog(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onOpenConfig: (id: string) => void;
}) {
  const queries = useQueryClient();
  const [step, setStep] = useState(1);
  const [name, setName] = useState("");
  const [custom, setCustom] = useState(false);
  const [fields, setFields] = useState<FieldRow[]>(() => [
    row("message", "text", { name: "Message", required: true, visible: true }),
    row("actor", "string", { name: "Actor", visible: true }),
  ]);
  const [hot, setHot] = useState("7d");
  const [warm, setWarm] = useState("90d");
  const [redaction, setRedaction] = useState(false);
  const [sign, setSign] = useState(false);
  const [access, setAccess] = useState<"new" | "extend" | "none">("new");
  const [tokenName, setTokenName] = useState("");
  const [extendId, setExtendId] = useState("");
  const [error, setError] = useState<ApiError | Error | undefined>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<
    { config: ConfigView; token?: CreatedToken; extended?: string } | undefined
  >();
  const list = useQuery({ queryKey: ["tokens"], queryFn: tokens.list, enabled: props.open });
  const extendable = (list.data ?? []).filter(
    (t) => t.kind === "service" && t.status === "active" && t.grants.audit?.configs !== "all",
  );
  const problems = custom ? localProblems(fields) : new Map<string, string>();
  const apiError = error instanceof ApiError ? error : undefined;
  const at = (pointer: string) => apiError?.fieldError(pointer);

  function reset() {
    setStep(1);
    setName("");
    setCustom(false);
    setAccess("new");
    setTokenName("");
    setExtendId("");
    setError(undefined);
    setDone(undefined);
  }

  function close(open: boolean) {
    props.onOpenChange(open);
    if (!open) setTimeout(reset, 200);
  }

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const config = await configs.create({
        name: name.trim(),
        ...(custom ? { schema: schemaBody(fields) } : {}),
        hot_storage: hot,
        warm_storage: warm,
        redaction: { enabled: redaction },
        vault_sign: sign,
      });
      let token: CreatedToken | undefined;
      let extended: string | undefined;
      if (access === "new") {
        token = await tokens.create({
          name: tokenName.trim() || `${config.name} token`,
          grants: { audit: { configs: [config.id] } },
        });
      } else if (access === "extend" && extendId) {
        extended = (await tokens.extend(extendId, config.id)).name;
      }
      await queries.invalidateQueries({ queryKey: ["configs"] });
      await queries.invalidateQueries({ queryKey: ["tokens"] });
      setDone({ config, ...(token ? { token } : {}), ...(extended ? { extended } : {}) });
    } catch (caught) {
      setError(caught as Error);
      // Put the user back on the step the server's pointer names.
      if (caught instanceof ApiError) {
        const source = caught.errors[0]?.source ?? "";
        if (source.startsWith("/name") || source.startsWith("/schema")) setStep(1);
        else if (/^\/(hot|warm|cold)_storage|^\/redaction|^\/vault_sign/.test(source)) setStep(2);
      }
    } finally {
      setBusy(false);
    }
  }

  const update = (i: number, change: Partial<FieldRow>) =>
    setFields((fs) => fs.map((f, j) => (j === i ? { ...f, ...change } : f)));

  const canNext1 = name.trim() !== "" && problems.size === 0;
  return (
    <Dialog
      open={props.open}
      onOpenChange={close}
      title="Create a configuration"
      description={
        done
          ? "The configuration is ready."
          : `Step ${step} of 3: ${["name and schema", "retention, redaction and signing", "access"][step - 1]}`
      }
      wide
    >
      {done ? (
        <div className="done">
          <p>
            Configuration <strong>{done.config.name}</strong> was created.
          </p>
          <div className="field">
            <span className="label">Config ID</span>
            <div>
              <code>{done.config.id}</code>{" "}
              <CopyButton text={done.config.id} label="Copy the new config ID" />
            </div>
          </div>
          {done.token ? (
            <section className="secret-box" aria-label="New token secret">
              <p className="warning">
                Copy this token now: its secret is shown only this once and cannot be shown again.
              </p>
              <code className="break">{done.token.token}</code>{" "}
              <CopyButton text={done.token.token} label="Copy the new token secret" />
            </section>
          ) : null}
          {done.extended ? (
            <p>
              Token <strong>{done.extended}</strong> now also reaches this configuration. Requests with it
              must now name <code>config_id</code>, or they get AmbiguousConfigID.
            </p>
          ) : null}
          <div className="dialog-actions">
            <button
              type="button"
              className="button primary"
              onClick={() => {
                props.onOpenConfig(done.config.id);
                close(false);
              }}
            >
              Open the configuration
            </button>
          </div>
        </div>
      ) : (
        <form
          onSubmit={(e) => {
            if (step === 3) return void create(e);
            e.preventDefault();
            setStep(step + 1);
          }}
        >
          <ErrorBanner error={error} />
          {step === 1 ? (
            <div className="step">
              <TextField
                label="Name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                required
                error={at("/name")}
              />
              <fieldset className="choice">
                <legend>Schema</legend>
                <label>
                  <input type="radio" name="schema" checked={!custom} onChange={() => setCustom(false)} />{" "}
                  Standard audit schema (actor, action, target, status, message, old, new, tenant_id, …)
                </label>
                <label>
                  <input type="radio" name="schema" checked={custom} onChange={() => setCustom(true)} />{" "}
                  Custom fields
                </label>
              </fieldset>
              {custom ? (
                <div className="schema-editor">
                  <table className="editor-table">
                    <caption className="visually-hidden">Custom schema fields</caption>
                    <thead>
                      <tr>
                        <th scope="col">Order</th>
                        <th scope="col">Field id</th>
                        <th scope="col">Name</th>
                        <th scope="col">Type</th>
                        <th scope="col">Size</th>
                        <th scope="col">Required</th>
                        <th scope="col">Redact</th>
                        <th scope="col">Visible by default</th>
                        <th scope="col">
                          <span className="visually-hidden">Remove</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {fields.map((f, i) => {
                        const idError = problems.get(`${i}/id`) ?? at(`/schema/fields/${i}/id`);
                        const sizeError = problems.get(`${i}/size`) ?? at(`/schema/fields/${i}/size`);
                        const label = f.id || `field ${i + 1}`;
                        return (
                          <tr key={f.key}>
                            <td className="nowrap">
                              <button
                                type="button"
                                className="icon-button"
                                aria-label={`Move ${label} up`}
                                disabled={i === 0}
                                onClick={() => setFields((fs) => swap(fs, i, i - 1))}
                              >
                                ↑
                              </button>
                              <button
                                type="button"
                                className="icon-button"
                                aria-label={`Move ${label} down`}
                                disabled={i === fields.length - 1}
                                onClick={() => setFields((fs) => swap(fs, i, i + 1))}
                              >
                                ↓
                              </button>
                            </td>
                            <td>
                              <input
                                aria-label={`Field ${i + 1} id`}
                                value={f.id}
                                onChange={(e) => update(i, { id: e.target.value })}
                                aria-invalid={idError ? true : undefined}
                                aria-describedby={idError ? `field-${f.key}-id-error` : undefined}
                              />
                              {idError ? (
                                <div className="error-text" id={`field-${f.key}-id-error`}>
                                  {idError}
                                </div>
                              ) : null}
                            </td>
                            <td>
                              <input
                                aria-label={`Field ${i + 1} name`}
                                value={f.name}
                                onChange={(e) => update(i, { name: e.target.value })}
                              />
                            </td>
                            <td>
                              <select
                                aria-label={`Field ${i + 1} type`}
                                value={f.type}
                                onChange={(e) => update(i, { type: e.target.value as SearchFieldType })}
                              >
                                {TYPES.map((t) => (
                                  <option key={t}>{t}</option>
                                ))}
                              </select>
                            </td>
                            <td>
                              <input
                                aria-label={`Field ${i + 1} size`}
                                className="narrow"
                                inputMode="numeric"
                                value={f.size}
                                disabled={!(STRINGS.includes(f.type) || f.type === "datetime")}
                                onChange={(e) => update(i, { size: e.target.value })}
                                aria-invalid={sizeError ? true : undefined}
                              />
                              {sizeError ? <div className="error-text">{sizeError}</div> : null}
                            </td>
                            <td>
                              <input
                                type="checkbox"
                                aria-label={`Field ${i + 1} required`}
                                checked={f.required}
                                onChange={(e) => update(i, { required: e.target.checked })}
                              />
                            </td>
                            <td>
                              <input
                                type="checkbox"
                                aria-label={`Field ${i + 1} redact`}
                                checked={f.redact}
                                disabled={!STRINGS.includes(f.type)}
                                onChange={(e) => update(i, { redact: e.target.checked })}
                              />
                            </td>
                            <td>
                              <input
                                type="checkbox"
                                aria-label={`Field ${i + 1} visible by default`}
                                checked={f.visible}
                                onChange={(e) => update(i, { visible: e.target.checked })}
                              />
                            </td>
                            <td>
                              <button
                                type="button"
                                className="icon-button"
                                aria-label={`Remove ${label}`}
                                onClick={() => setFields((fs) => fs.filter((_, j) => j !== i))}
                              >
                                ×
                              </button>
                            </td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                  {problems.get("fields") ? <div className="error-text">{problems.get("fields")}</div> : null}
                  {at("/schema") && !fields.some((_, i) => at(`/schema/fields/${i}`)) ? (
                    <div className="error-text">{at("/schema")}</div>
                  ) : null}
                  <button
                    type="button"
                    className="button small"
                    onClick={() => setFields((fs) => [...fs, row()])}
                  >
                    Add field
                  </button>
                </div>
              ) : null}
            </div>
          ) : null}
          {step === 2 ? (
            <div className="step">
              <TextField
                label="Hot storage (searchable for)"
                value={hot}
                onChange={(e) => setHot(e.target.value)}
                hint="A duration such as 7d; at most 14d"
                error={at("/hot_storage")}
              />
              <TextField
                label="Warm storage (kept for)"
                value={warm}
                onChange={(e) => setWarm(e.target.value)}
                hint="A duration such as 90d, or 0 for none"
                error={at("/warm_storage")}
              />
              <label className="check-label">
                <input type="checkbox" checked={redaction} onChange={(e) => setRedaction(e.target.checked)} />{" "}
                Redact fields marked “redact” before they are stored
              </label>
              <label className="check-label">
                <input type="checkbox" checked={sign} onChange={(e) => setSign(e.target.checked)} /> Sign
                every event with a server key
              </label>
            </div>
          ) : null}
          {step === 3 ? (
            <fieldset className="step choice">
              <legend>Access</legend>
              <label>
                <input
                  type="radio"
                  name="access"
                  checked={access === "new"}
                  onChange={() => setAccess("new")}
                />{" "}
                Create a new token for this configuration
              </label>
              {access === "new" ? (
                <TextField
                  label="Token name"
                  value={tokenName}
                  placeholder={`${name || "New"} token`}
                  onChange={(e) => setTokenName(e.target.value)}
                />
              ) : null}
              <label>
                <input
                  type="radio"
                  name="access"
                  checked={access === "extend"}
                  onChange={() => setAccess("extend")}
                />{" "}
                Extend an existing token
              </label>
              {access === "extend" ? (
                <div className="field">
                  <label htmlFor="extend-token">Token to extend</label>
                  <select
                    id="extend-token"
                    value={extendId}
                    onChange={(e) => setExtendId(e.target.value)}
                    required
                  >
                    <option value="">Choose a token…</option>
                    {extendable.map((t) => (
                      <option key={t.id} value={t.id}>
                        {t.name} ({t.id})
                      </option>
                    ))}
                  </select>
                  <div className="hint">
                    It gains this configuration; requests with it must then carry config_id.
                  </div>
                </div>
              ) : null}
              <label>
                <input
                  type="radio"
                  name="access"
                  checked={access === "none"}
                  onChange={() => setAccess("none")}
                />{" "}
                No token now
              </label>
            </fieldset>
          ) : null}
          <div className="dialog-actions">
            {step > 1 ? (
              <button type="button" className="button" onClick={() => setStep(step - 1)}>
                Back
              </button>
            ) : null}
            {step < 3 ? (
              <button type="submit" className="button primary" disabled={step === 1 && !canNext1}>
                Next
              </button>
            ) : (
              <button
                type="submit"
                className="button primary"
                disabled={busy || (access === "extend" && !extendId)}
              >
                {busy ? "Creating…" : "Create configuration"}
              </button>
            )}
          </div>
        </form>
      )}
    </Dialog>
  );
}

function swap<T>(list: T[], i: number, j: number): T[] {
  const next = [...list];
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}
