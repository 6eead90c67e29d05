import { Dialog } from "../../components/ui/Dialog.js";

/** Manage Config Access: which configurations the token reaches. */
export function ConfigAccessDialog(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  configs: { id: string; name: string }[];
  value: string[] | "all";
  onChange: (value: string[] | "all") => void;
}) {
  const all = props.value === "all";
  const chosen = all ? [] : (props.value as string[]);
  const several = all || chosen.length > 1;
  return (
    <Dialog
      open={props.open}
      onOpenChange={props.onOpenChange}
      title="Manage Config Access"
      description="Which configurations of the Secure Audit Log this token may use."
    >
      <label className="check-label">
        <input
          type="checkbox"
          checked={all}
          onChange={(e) => props.onChange(e.target.checked ? "all" : [])}
        />{" "}
        All configurations, including ones made later
      </label>
      <fieldset className="choice" disabled={all}>
        <legend>Configurations</legend>
        {props.configs.map((c) => (
          <label key={c.id} className="check-label">
            <input
              type="checkbox"
              checked={chosen.includes(c.id)}
              onChange={(e) =>
                props.onChange(e.target.checked ? [...chosen, c.id] : chosen.filter((x) => x !== c.id))
              }
            />{" "}
            {c.name} <code className="small">{c.id}</code>
          </label>
        ))}
      </fieldset>
      {several ? (
        <p className="note" role="note">
          With several configurations, every request must carry <code>config_id</code>; a request without it
          gets <code>AmbiguousConfigID</code>.
        </p>
      ) : null}
      {!all && chosen.length === 0 ? <p className="error-text">Choose at least one configuration.</p> : null}
      <div className="dialog-actions">
        <button type="button" className="button primary" onClick={() => props.onOpenChange(false)}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
