import { useQueryClient } from "@tanstack/react-query";
import type { TokenView } from "@veritrail/core";
import { useEffect, useState } from "react";
import { tokens } from "../../api/endpoints.js";
import { Dialog } from "../../components/ui/Dialog.js";
import { ErrorBanner } from "../../components/ui/Field.js";

/** Extend: the token gains one more configuration. */
export function ExtendDialog(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  token: TokenView | undefined;
  configs: { id: string; name: string }[];
}) {
  const queries = useQueryClient();
  const [configId, setConfigId] = useState("");
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (props.open) {
      setConfigId("");
      setError(undefined);
    }
  }, [props.open]);
  const granted = props.token?.grants.audit?.configs;
  const options = props.configs.filter((c) => granted !== "all" && !(granted ?? []).includes(c.id));
  return (
    <Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      title={`Extend ${props.token?.name ?? ""}`}
      description="The token gains a configuration. With several, each request must carry config_id or gets AmbiguousConfigID."
    >
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await tokens.extend(props.token!.id, configId);
            await queries.invalidateQueries({ queryKey: ["tokens"] });
            props.onOpenChange(false);
          } catch (caught) {
            setError(caught);
          }
        }}
      >
        <ErrorBanner error={error} />
        <div className="field">
          <label htmlFor="extend-config">Configuration to add</label>
          <select id="extend-config" value={configId} onChange={(e) => setConfigId(e.target.value)} required>
            <option value="">Choose a configuration…</option>
            {options.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => props.onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!configId}>
            Extend token
          </button>
        </div>
      </form>
    </Dialog>
  );
}
