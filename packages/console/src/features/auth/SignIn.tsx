import { type FormEvent, useState } from "react";
import { ApiError } from "../../api/client.js";
import { TextField } from "../../components/ui/Field.js";
import { useSession } from "./session.js";

/** Sign in with the admin credential, or with an audit token to read its logs only. */
export function SignIn() {
  const { signIn } = useSession();
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(token.trim());
      setToken("");
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.status === "Unauthorized"
          ? "That credential was not accepted: it may be mistyped, revoked or expired."
          : caught instanceof ApiError
            ? (caught.fieldError("/token") ?? caught.message)
            : String(caught),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in" id="main">
      <form className="card sign-in-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <div className="brand brand-large" aria-hidden="true">
          Veritrail
        </div>
        <h1 id="sign-in-title">Sign in</h1>
        <p className="muted">
          Use the admin credential printed at first start to manage configurations and tokens, or an audit
          token to read only the logs it grants.
        </p>
        <TextField
          label="Admin credential or audit token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          required
          error={error}
        />
        <button type="submit" className="button primary" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="hint">The credential is sent once to make a session; the browser never stores it.</p>
      </form>
    </main>
  );
}
