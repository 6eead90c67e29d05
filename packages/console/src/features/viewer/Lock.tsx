import { Popover } from "@base-ui/react/popover";
import type { SearchEvent } from "@veritrail/core";
import { CopyButton } from "../../components/ui/Copy.js";
import { type PageRoots, type Verification, verificationArtifact } from "../../lib/verify.js";

const NAMES = {
  verified: "Verified",
  unpublished: "Verified against an unpublished root",
  pending: "Checking the signed checkpoint",
  failed: "Verification failed",
} as const;

/** The lock of one row: its state by colour, icon and name; its popover lists every check. */
export function Lock(props: { verification: Verification; event: SearchEvent; roots: PageRoots }) {
  const { verification: v } = props;
  const name = v.state === "failed" ? `${NAMES.failed}: ${v.failed}` : NAMES[v.state];
  return (
    <Popover.Root>
      <Popover.Trigger className={`lock lock-${v.state}`} aria-label={name} title={name}>
        <span aria-hidden="true">
          {v.state === "failed" ? "✕" : v.state === "verified" ? "✓" : v.state === "pending" ? "…" : "◐"}
        </span>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Positioner className="positioner" sideOffset={4} align="start">
          <Popover.Popup className="popover lock-popover">
            <Popover.Title className="popover-title">Tamper-proofing validation</Popover.Title>
            <Popover.Description className={`lock-summary lock-text-${v.state}`}>{name}</Popover.Description>
            <ul className="checks">
              {v.checks.map((c) => (
                <li key={c.name} className={`check check-${c.state}`}>
                  <strong>
                    {c.label}:{" "}
                    {c.state === "pass" ? "passed" : c.state === "fail" ? "FAILED" : "not applicable"}
                  </strong>
                  <div className="small muted">{c.detail}</div>
                </li>
              ))}
            </ul>
            <dl className="facts small">
              <dt>Leaf index</dt>
              <dd>{props.event.leaf_index ?? "not given (unpublished records carry none)"}</dd>
              <dt>{props.event.published ? "Published root" : "Unpublished root"}</dt>
              <dd className="mono break">
                {v.root
                  ? `${v.root.root_hash} (size ${v.root.size}, tree ${v.root.tree_name})`
                  : "none in the answer"}
              </dd>
            </dl>
            <CopyButton
              text={verificationArtifact(props.event, props.roots)}
              label="Copy verification artifacts"
            >
              Copy verification artifacts
            </CopyButton>
          </Popover.Popup>
        </Popover.Positioner>
      </Popover.Portal>
    </Popover.Root>
  );
}
