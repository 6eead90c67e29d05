import { CopyButton } from "../../components/ui/Copy.js";

/** A token's secret, shown once with a copy button and the warning that it will not be shown again. */
export function SecretOnce(props: { secret: string; name: string }) {
  return (
    <section className="secret-box" aria-label={`Secret of ${props.name}`}>
      <p className="warning">Copy this secret now: it is shown only this once and cannot be shown again.</p>
      <code className="break">{props.secret}</code>{" "}
      <CopyButton text={props.secret} label={`Copy the secret of ${props.name}`} />
    </section>
  );
}
