import { Popover } from "@base-ui/react/popover";
import type { SchemaField } from "@veritrail/core";

/** Shows or hides columns and moves them left or right; the choice lives in the URL. */
export function ColumnChooser(props: {
  fields: SchemaField[];
  columns: string[];
  onChange: (columns: string[]) => void;
}) {
  const { columns } = props;
  const all = [
    { id: "received_at", name: "Time" } as SchemaField,
    ...props.fields.filter((f) => f.id !== "old" && f.id !== "new"),
  ];
  const move = (id: string, by: number) => {
    const i = columns.indexOf(id);
    const j = i + by;
    if (i < 0 || j < 0 || j >= columns.length) return;
    const next = [...columns];
    [next[i], next[j]] = [next[j]!, next[i]!];
    props.onChange(next);
  };
  return (
    <Popover.Root>
      <Popover.Trigger className="button" aria-label="Choose columns">
        Columns
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Positioner className="positioner" sideOffset={4} align="end">
          <Popover.Popup className="popover">
            <Popover.Title className="popover-title">Columns</Popover.Title>
            <Popover.Description className="visually-hidden">
              Show, hide and order the table's columns
            </Popover.Description>
            <ul className="column-list">
              {all.map((f) => {
                const shown = columns.includes(f.id);
                const label = f.name ?? f.id;
                return (
                  <li key={f.id}>
                    <label>
                      <input
                        type="checkbox"
                        checked={shown}
                        onChange={() =>
                          props.onChange(shown ? columns.filter((c) => c !== f.id) : [...columns, f.id])
                        }
                      />{" "}
                      {label}
                    </label>
                    {shown ? (
                      <span className="column-moves">
                        <button
                          type="button"
                          className="icon-button"
                          aria-label={`Move ${label} left`}
                          onClick={() => move(f.id, -1)}
                        >
                          ↑
                        </button>
                        <button
                          type="button"
                          className="icon-button"
                          aria-label={`Move ${label} right`}
                          onClick={() => move(f.id, 1)}
                        >
                          ↓
                        </button>
                      </span>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </Popover.Popup>
        </Popover.Positioner>
      </Popover.Portal>
    </Popover.Root>
  );
}
