import { useQueryClient } from "@tanstack/react-query";
import type { RotatedToken, TokenView } from "@veritrail/core";
import { useEffect, useState } from "react";
import { tokens } from "../../api/endpoints.js";
import { Dialog } from "../../components/ui/Dialog.js";
import { ErrorBanner } from "../../components/ui/Field.js";
import { SecretOnce } from "./SecretOnce.js";

const GRACE = [
  ["0s", "None: the old secret stops now"],
  ["1h", "1 hour"],
  ["24h", "24 hours"],
  ["7d", "7 days"],
] as const;

/** Rotate: a new secret, shown once; the old one keeps working for the chosen grace period. */
export function RotateDialog(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  token: TokenView | undefined;
}) {
  const queries = useQueryClient();
  const [grace, setGrace] = useState("1h");
  const [done, setDone] = useState<RotatedToken | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (props.open) {
      setDone(undefined);
      setError(undefined);
    }
  }, [props.open]);
  const name = props.token?.name ?? "";
  return (
    <Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      title={`Rotate ${name}`}
      description="Makes a new secret for this token. Applications keep working with the old secret during the grace period."
    >
      {done ? (
        <>
          <SecretOnce secret={done.token} name={done.name} />
          <p>
            The old secret stops working{" "}
            {done.previous_secret_valid_until ? (
              <>
                at <time dateTime={done.previous_secret_valid_until}>{done.previous_secret_valid_until}</time>
              </>
            ) : (
              "now"
            )}
            .
          </p>
          <div className="dialog-actions">
            <button type="button" className="button primary" onClick={() => props.onOpenChange(false)}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              setDone(await tokens.rotate(props.token!.id, grace));
              await queries.invalidateQueries({ queryKey: ["tokens"] });
            } catch (caught) {
              setError(caught);
            }
          }}
        >
          <ErrorBanner error={error} />
          <div className="field">
            <label htmlFor="grace">Grace period for the old secret</label>
            <select id="grace" value={grace} onChange={(e) => setGrace(e.target.value)}>
              {GRACE.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => props.onOpenChange(false)}>
              Cancel
            </button>
            <button type="submit" className="button primary">
              Rotate secret
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
