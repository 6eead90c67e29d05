import { type InputHTMLAttributes, type ReactNode, useId } from "react";

/** A labelled input with its hint and its error (from a server's JSON pointer or local checks). */
export function TextField(
  props: {
    label: string;
    error?: string | undefined;
    hint?: ReactNode;
  } & InputHTMLAttributes<HTMLInputElement>,
) {
  const { label, error, hint, ...input } = props;
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        {...input}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
      />
      {hint ? (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="error-text" id={`${id}-error`}>
          {error}
        </div>
      ) : null}
    </div>
  );
}

export function ErrorBanner(props: { error: unknown }) {
  if (!props.error) return null;
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <div className="banner error" role="alert">
      {message}
    </div>
  );
}
