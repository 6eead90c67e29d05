import { useState } from "react";
import { announce } from "./Announcer.js";

/** A button that copies `text` and says so in the page's live region (no alert box). */
export function CopyButton(props: { text: string; label: string; children?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="button small"
      aria-label={props.label}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(props.text);
          setCopied(true);
          announce("Copied to the clipboard");
          setTimeout(() => setCopied(false), 1500);
        } catch {
          announce("Could not copy: the browser refused access to the clipboard");
        }
      }}
    >
      {copied ? "Copied" : (props.children ?? "Copy")}
    </button>
  );
}
