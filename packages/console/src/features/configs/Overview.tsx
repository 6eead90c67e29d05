import { useQuery } from "@tanstack/react-query";
import { ApiError } from "../../api/client.js";
import { audit, configs, tokens } from "../../api/endpoints.js";
import { CopyButton } from "../../components/ui/Copy.js";
import { ErrorBanner } from "../../components/ui/Field.js";

/** The configuration at a glance: its id, tree, size and root, its tokens, and snippets to start. */
export function Overview(props: { configId: string }) {
  const { configId } = props;
  const config = useQuery({ queryKey: ["config", configId], queryFn: () => configs.get(configId) });
  const root = useQuery({
    queryKey: ["root", configId],
    queryFn: async () => {
      try {
        return (await audit.root(configId)).data;
      } catch (error) {
        if (error instanceof ApiError && error.status === "TreeNotFound") return null;
        throw error;
      }
    },
  });
  const list = useQuery({ queryKey: ["tokens"], queryFn: tokens.list });
  const reaching = (list.data ?? []).filter((t) => {
    const c = t.grants.audit?.configs;
    return t.kind === "service" && (c === "all" || (c ?? []).includes(configId));
  });
  const base = window.location.origin;
  const curl = `curl -s ${base}/v1/log \\
  -H "Authorization: Bearer $VERITRAIL_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"config_id":"${configId}","event":{"actor":"alice","action":"login","message":"alice signed in"}}'`;
  const node = `import { AuditService, PangeaConfig } from "pangea-node-sdk";

const audit = new AuditService(process.env.VERITRAIL_TOKEN, new PangeaConfig({ baseUrlTemplate: "${base}" }), undefined, "${configId}");
const answer = await audit.log({ actor: "alice", action: "login", message: "alice signed in" }, { verify: true });
console.log(answer.result.membership_verification);`;
  const python = `import os
from pangea.config import PangeaConfig
from pangea.services import Audit

audit = Audit(os.environ["VERITRAIL_TOKEN"], config=PangeaConfig(base_url_template="${base}"), config_id="${configId}")
answer = audit.log(message="alice signed in", actor="alice", action="login", verify=True)
print(answer.result.membership_verification)`;

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">{config.data?.name ?? "Overview"}</h1>
      <ErrorBanner error={config.error ?? root.error} />
      <div className="cards">
        <div className="card">
          <h2>Configuration</h2>
          <dl className="facts">
            <dt>Config ID</dt>
            <dd>
              <code>{configId}</code> <CopyButton text={configId} label="Copy config ID" />
            </dd>
            <dt>Tree name</dt>
            <dd className="mono break">{config.data?.tree_name ?? "…"}</dd>
            <dt>Size</dt>
            <dd>{root.data === null ? "0 (nothing logged yet)" : (root.data?.size ?? "…")}</dd>
            <dt>Current root</dt>
            <dd className="mono break">{root.data === null ? "none yet" : (root.data?.root_hash ?? "…")}</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Tokens for this configuration</h2>
          {reaching.length === 0 ? (
            <p>No service token reaches this configuration yet. Create one on the Tokens page.</p>
          ) : (
            <ul className="plain">
              {reaching.map((t) => (
                <li key={t.id}>
                  <strong>{t.name}</strong> <span className={`status status-${t.status}`}>{t.status}</span>{" "}
                  <code className="small">{t.id}</code>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <h2>Start logging</h2>
      <p className="muted">
        Each snippet already holds this server's URL and this configuration's id; set VERITRAIL_TOKEN to a
        token.
      </p>
      {[
        ["curl", curl],
        ["Node SDK", node],
        ["Python SDK", python],
      ].map(([label, text]) => (
        <div className="snippet" key={label}>
          <div className="snippet-head">
            <h3>{label}</h3>
            <CopyButton text={text!} label={`Copy the ${label} snippet`} />
          </div>
          <pre className="mono code-block">{text}</pre>
        </div>
      ))}
    </section>
  );
}
