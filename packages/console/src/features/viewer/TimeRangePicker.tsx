import { Popover } from "@base-ui/react/popover";
import { useState } from "react";
import { describeRange, QUICK_RANGES, type TimeRange } from "../../lib/time-range.js";

const UNITS = ["minute", "hour", "day", "week", "month"] as const;

/** A time range: quick picks, "last N units", or between two times (either side may be open). */
export function TimeRangePicker(props: { value: TimeRange; onChange: (range: TimeRange) => void }) {
  const [open, setOpen] = useState(false);
  const [amount, setAmount] = useState(props.value.kind === "last" ? props.value.amount : 2);
  const [unit, setUnit] = useState<(typeof UNITS)[number]>(
    props.value.kind === "last" ? props.value.unit : "hour",
  );
  const [start, setStart] = useState(props.value.kind === "between" ? toLocal(props.value.start) : "");
  const [end, setEnd] = useState(props.value.kind === "between" ? toLocal(props.value.end) : "");

  function pick(range: TimeRange) {
    props.onChange(range);
    setOpen(false);
  }

  return (
    <Popover.Root open={open} onOpenChange={setOpen}>
      <Popover.Trigger className="button" aria-label={`Time range: ${describeRange(props.value)}`}>
        {describeRange(props.value)}
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Positioner className="positioner" sideOffset={4} align="start">
          <Popover.Popup className="popover range-popover">
            <Popover.Title className="popover-title">Time range</Popover.Title>
            <Popover.Description className="visually-hidden">
              Choose a quick range, a relative range or two times
            </Popover.Description>
            <div className="quick-ranges">
              {QUICK_RANGES.map((q) => (
                <button type="button" key={q.label} className="button small" onClick={() => pick(q.range)}>
                  {q.label}
                </button>
              ))}
            </div>
            <fieldset className="range-group">
              <legend>Relative</legend>
              <label>
                Last{" "}
                <input
                  type="number"
                  min={1}
                  max={999999}
                  value={amount}
                  onChange={(e) => setAmount(Number(e.target.value))}
                  aria-label="Amount"
                  className="narrow"
                />
              </label>{" "}
              <select aria-label="Unit" value={unit} onChange={(e) => setUnit(e.target.value as typeof unit)}>
                {UNITS.map((u) => (
                  <option key={u} value={u}>
                    {u}s
                  </option>
                ))}
              </select>{" "}
              <button
                type="button"
                className="button small"
                disabled={!(amount >= 1)}
                onClick={() => pick({ kind: "last", amount: Math.floor(amount), unit })}
              >
                Apply
              </button>
            </fieldset>
            <fieldset className="range-group">
              <legend>Between (your local time; leave one empty for before or after)</legend>
              <label>
                From{" "}
                <input
                  type="datetime-local"
                  step={1}
                  value={start}
                  onChange={(e) => setStart(e.target.value)}
                />
              </label>
              <label>
                To{" "}
                <input type="datetime-local" step={1} value={end} onChange={(e) => setEnd(e.target.value)} />
              </label>
              <button
                type="button"
                className="button small"
                disabled={!start && !end}
                onClick={() =>
                  pick({
                    kind: "between",
                    ...(start ? { start: new Date(start).toISOString() } : {}),
                    ...(end ? { end: new Date(end).toISOString() } : {}),
                  })
                }
              >
                Apply
              </button>
            </fieldset>
          </Popover.Popup>
        </Popover.Positioner>
      </Popover.Portal>
    </Popover.Root>
  );
}

/** An RFC 3339 time as the value of a datetime-local input, in local time. */
function toLocal(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
