import { AUDIT_ENDPOINTS } from "@veritrail/core";
import { Dialog } from "../../components/ui/Dialog.js";

/** Manage Endpoint Access: which audit endpoints the token may call. */
export function EndpointAccessDialog(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  endpoints: string[] | null;
  onChange: (endpoints: string[] | null) => void;
}) {
  const all = props.endpoints === null;
  const chosen = props.endpoints ?? [...AUDIT_ENDPOINTS];
  return (
    <Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      title="Manage Endpoint Access"
      description="Which Secure Audit Log endpoints this token may call. Any other endpoint answers Unauthorized."
    >
      <label className="check-label">
        <input
          type="checkbox"
          checked={all}
          onChange={(e) => props.onChange(e.target.checked ? null : [...AUDIT_ENDPOINTS])}
        />{" "}
        All endpoints, including later ones
      </label>
      <fieldset className="choice" disabled={all}>
        <legend>Endpoints</legend>
        {AUDIT_ENDPOINTS.map((endpoint) => (
          <label key={endpoint} className="check-label">
            <input
              type="checkbox"
              checked={chosen.includes(endpoint)}
              onChange={(e) =>
                props.onChange(
                  e.target.checked ? [...chosen, endpoint] : chosen.filter((x) => x !== endpoint),
                )
              }
            />{" "}
            <code>{endpoint}</code>
          </label>
        ))}
      </fieldset>
      {props.endpoints?.length === 0 ? <p className="error-text">Choose at least one endpoint.</p> : null}
      <div className="dialog-actions">
        <button type="button" className="button primary" onClick={() => props.onOpenChange(false)}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
