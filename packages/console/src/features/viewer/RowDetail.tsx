import type { SearchEvent } from "@veritrail/core";
import { diffWords } from "diff";

function pretty(value: unknown): string {
  if (typeof value !== "string") return String(value);
  const trimmed = value.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.stringify(JSON.parse(trimmed), null, 2);
    } catch {
      return value;
    }
  }
  return value;
}

/** Every field of one record, JSON pretty-printed, and old/new as a word diff. */
export function RowDetail(props: {
  event: SearchEvent;
  fieldNames: Map<string, string>;
  /** Fields a value can be filtered on (searchable with `=`), and what to do when asked. */
  filterable: Set<string>;
  onFilter: (field: string, value: string, exclude: boolean) => void;
}) {
  // An erased record keeps only its hash, proof and when it was erased (docs/design/erasure.md).
  const event = props.event.envelope?.event ?? {};
  const old = event["old"];
  const next = event["new"];
  const entries = Object.entries(event).filter(([k]) => k !== "old" && k !== "new");
  return (
    <div className="row-detail">
      <dl className="fields">
        <dt>Time</dt>
        <dd className="mono">{props.event.envelope?.received_at ?? ""}</dd>
        {props.event.erased ? (
          <>
            <dt>Erased</dt>
            <dd>
              at <time dateTime={props.event.erased.erased_at}>{props.event.erased.erased_at}</time> under
              erasure <span className="mono">{props.event.erased.erasure_id}</span>
            </dd>
          </>
        ) : null}
        {entries.map(([key, value]) => (
          <div key={key} className="field-pair">
            <dt>{props.fieldNames.get(key) ?? key}</dt>
            <dd>
              <pre className="mono">{pretty(value)}</pre>
              {props.filterable.has(key) ? (
                <span className="filter-buttons">
                  <button
                    type="button"
                    className="button small"
                    aria-label={`Filter for ${key} = ${String(value)}`}
                    onClick={() => props.onFilter(key, String(value), false)}
                  >
                    Filter for
                  </button>
                  <button
                    type="button"
                    className="button small"
                    aria-label={`Filter out ${key} = ${String(value)}`}
                    onClick={() => props.onFilter(key, String(value), true)}
                  >
                    Filter out
                  </button>
                </span>
              ) : null}
            </dd>
          </div>
        ))}
        <dt>Hash</dt>
        <dd className="mono break">{props.event.hash}</dd>
      </dl>
      {old !== undefined || next !== undefined ? (
        <section className="diff" aria-label="Changes from old to new">
          <h3>Old → New</h3>
          <pre className="mono diff-text">{diffParts(pretty(old ?? ""), pretty(next ?? ""))}</pre>
        </section>
      ) : null}
    </div>
  );
}

/** The word diff of old and new, each part keyed by where it starts in the diff and what it is. */
function diffParts(old: string, next: string) {
  let at = 0;
  return diffWords(old, next).map((part) => {
    const key = `${at}${part.added ? "+" : part.removed ? "-" : "="}`;
    at += part.value.length;
    if (part.added) return <ins key={key}>{part.value}</ins>;
    if (part.removed) return <del key={key}>{part.value}</del>;
    return <span key={key}>{part.value}</span>;
  });
}
