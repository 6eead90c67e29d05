import type { SchemaField } from "@veritrail/core";
import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { applySuggestion, type Suggestion, suggest } from "../../lib/query-words.js";

/**
 * The query input: a combobox whose suggestions complete the word at the caret (fields with the
 * operators their type allows, values, AND/OR). Enter or the Search button runs the query; a
 * server error is shown under the query with the position it names underlined.
 */
export function QueryBar(props: {
  value: string;
  fields: SchemaField[];
  onSearch: (query: string) => void;
  error?: { message: string; position?: number | undefined; query: string } | undefined;
}) {
  const [text, setText] = useState(props.value);
  const [caret, setCaret] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => setText(props.value), [props.value]);

  const suggestions: Suggestion[] = open ? suggest(text, caret, props.fields).slice(0, 12) : [];

  function choose(s: Suggestion) {
    const next = applySuggestion(text, caret, s.insert);
    setText(next.query);
    setCaret(next.caret);
    setActive(0);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(next.caret, next.caret);
    });
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (suggestions.length > 0 && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + step + suggestions.length) % suggestions.length);
    } else if (event.key === "Tab" && suggestions.length > 0 && !event.shiftKey) {
      event.preventDefault();
      choose(suggestions[active] ?? suggestions[0]!);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (suggestions.length > 0 && active > 0) choose(suggestions[active]!);
      else {
        setOpen(false);
        props.onSearch(text);
      }
    } else if (event.key === "Escape") {
      setOpen(false);
    }
  }

  const error = props.error;
  return (
    <div className="query-bar">
      <search>
        <form
          className="query-row"
          onSubmit={(e) => {
            e.preventDefault();
            setOpen(false);
            props.onSearch(text);
          }}
        >
          <div className="query-input-wrap">
            <label htmlFor={`${id}-input`} className="visually-hidden">
              Search query
            </label>
            <input
              ref={input}
              id={`${id}-input`}
              className="query-input"
              role="combobox"
              aria-expanded={suggestions.length > 0}
              aria-controls={`${id}-list`}
              aria-autocomplete="list"
              aria-activedescendant={suggestions.length > 0 ? `${id}-opt-${active}` : undefined}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : `${id}-help`}
              placeholder="e.g. actor=alice AND action:login"
              spellCheck={false}
              autoComplete="off"
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                setCaret(e.target.selectionStart ?? e.target.value.length);
                setOpen(true);
                setActive(0);
              }}
              onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
              onFocus={() => setOpen(true)}
              onBlur={() => setTimeout(() => setOpen(false), 150)}
              onKeyDown={onKeyDown}
            />
            <div
              id={`${id}-list`}
              role="listbox"
              aria-label="Suggestions"
              className="suggestions"
              hidden={suggestions.length === 0}
            >
              {suggestions.map((s, i) => (
                <div
                  key={`${s.insert}-${s.label}`}
                  tabIndex={-1}
                  id={`${id}-opt-${i}`}
                  role="option"
                  aria-selected={i === active}
                  className={i === active ? "suggestion active" : "suggestion"}
                  onMouseDown={(e) => {
                    e.preventDefault();
                    choose(s);
                  }}
                >
                  <span className="mono">{s.label}</span> <span className="muted">{s.hint}</span>
                </div>
              ))}
            </div>
          </div>
          <button type="submit" className="button primary">
            Search
          </button>
        </form>
      </search>
      {error ? (
        <div className="query-error" id={`${id}-error`} role="alert">
          {error.position !== undefined ? (
            <div className="mono query-echo" aria-hidden="true">
              {error.query.slice(0, error.position)}
              {error.position < error.query.length ? (
                <span className="error-at">{error.query.slice(error.position, error.position + 1)}</span>
              ) : (
                <span className="error-at error-end">end of query</span>
              )}
              {error.query.slice(error.position + 1)}
            </div>
          ) : null}
          <div>{error.message}</div>
        </div>
      ) : (
        <div className="hint" id={`${id}-help`}>
          field=value is, field:value contains, &lt; and &gt; for numbers and dates, AND / OR, parentheses,
          -term to exclude. Tab completes.
        </div>
      )}
    </div>
  );
}
