import { useQueries } from "@tanstack/react-query";
import { useState } from "react";
import { configs as configsApi } from "../../api/endpoints.js";
import { Dialog } from "../../components/ui/Dialog.js";

/**
 * Manage Field Restrictions: per configuration, field → the values the token may see. Every search
 * with the token is bound to them, and nothing outside them is ever returned.
 */
export function FieldRestrictionsDialog(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  configs: { id: string; name: string }[];
  value: Record<string, Record<string, string[]>>;
  onChange: (value: Record<string, Record<string, string[]>>) => void;
}) {
  const schemas = useQueries({
    queries: props.configs.map((c) => ({
      queryKey: ["config", c.id],
      queryFn: () => configsApi.get(c.id),
      enabled: props.open,
    })),
  });
  const [adding, setAdding] = useState<Record<string, string>>({});
  const set = (configId: string, field: string, values: string[] | undefined) => {
    const next = structuredClone(props.value);
    const fields = next[configId] ?? {};
    if (values === undefined) delete fields[field];
    else fields[field] = values;
    next[configId] = fields;
    props.onChange(next);
  };
  return (
    <Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      title="Manage Field Restrictions"
      description="Limit which records this token can read: for each configuration, a field and the values allowed. A token's searches can never reach past them."
      wide
    >
      {props.configs.length === 0 ? <p>Choose the configurations first (Manage Config Access).</p> : null}
      {props.configs.map((c, i) => {
        const fields = (schemas[i]?.data?.schema?.fields ?? []).filter(
          (f) => f.type !== "string-unindexed" && f.type !== "text",
        );
        const current = props.value[c.id] ?? {};
        const free = fields.filter((f) => !(f.id in current));
        return (
          <fieldset key={c.id} className="restriction-group">
            <legend>
              {c.name} <code className="small">{c.id}</code>
            </legend>
            {Object.entries(current).map(([field, values]) => (
              <div key={field} className="restriction-row">
                <label>
                  <span className="mono">{field}</span> may be (comma-separated)
                  <input
                    value={values.join(",")}
                    onChange={(e) =>
                      set(
                        c.id,
                        field,
                        e.target.value
                          .split(",")
                          .map((v) => v.trim())
                          .filter((v, j, all) => v !== "" || j === all.length - 1),
                      )
                    }
                  />
                </label>
                <button
                  type="button"
                  className="icon-button"
                  aria-label={`Remove the restriction on ${field} in ${c.name}`}
                  onClick={() => set(c.id, field, undefined)}
                >
                  ×
                </button>
              </div>
            ))}
            {free.length > 0 ? (
              <div className="restriction-add">
                <label>
                  Restrict field{" "}
                  <select
                    value={adding[c.id] ?? ""}
                    onChange={(e) => setAdding({ ...adding, [c.id]: e.target.value })}
                  >
                    <option value="">Choose a field…</option>
                    {free.map((f) => (
                      <option key={f.id} value={f.id}>
                        {f.name ? `${f.name} (${f.id})` : f.id}
                      </option>
                    ))}
                  </select>
                </label>{" "}
                <button
                  type="button"
                  className="button small"
                  disabled={!adding[c.id]}
                  onClick={() => {
                    set(c.id, adding[c.id]!, []);
                    setAdding({ ...adding, [c.id]: "" });
                  }}
                >
                  Add restriction
                </button>
              </div>
            ) : null}
          </fieldset>
        );
      })}
      <div className="dialog-actions">
        <button type="button" className="button primary" onClick={() => props.onOpenChange(false)}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
