import { useEffect, useState } from "react";

/*
 * One polite live region for the whole console: "Copied", "N results", errors of background work.
 */

let push: ((message: string) => void) | undefined;

export function announce(message: string): void {
  push?.(message);
}

export function Announcer() {
  const [message, setMessage] = useState("");
  useEffect(() => {
    push = (next) => {
      setMessage("");
      requestAnimationFrame(() => setMessage(next));
    };
    return () => {
      push = undefined;
    };
  }, []);
  return (
    <div className="visually-hidden" aria-live="polite" role="status">
      {message}
    </div>
  );
}
