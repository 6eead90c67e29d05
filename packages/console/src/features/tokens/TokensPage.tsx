import { Menu } from "@base-ui/react/menu";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { TokenView } from "@veritrail/core";
import { useState } from "react";
import { configs as configsApi, tokens } from "../../api/endpoints.js";
import { ConfirmDialog } from "../../components/ui/Dialog.js";
import { ErrorBanner } from "../../components/ui/Field.js";
import { ExtendDialog } from "./ExtendDialog.js";
import { RotateDialog } from "./RotateDialog.js";
import { TokenDialog } from "./TokenDialog.js";

type Action = { kind: "create" | "update" | "template" | "rotate" | "revoke" | "extend"; token?: TokenView };

/** The tokens of the project (or those reaching one configuration): never their secrets. */
export function TokensPage(props: { configId?: string }) {
  const queries = useQueryClient();
  const list = useQuery({ queryKey: ["tokens"], queryFn: tokens.list });
  const configList = useQuery({ queryKey: ["configs-full"], queryFn: configsApi.list });
  const [action, setAction] = useState<Action | undefined>();
  const [error, setError] = useState<unknown>();
  const configs = (configList.data ?? []).map((c) => ({ id: c.id, name: c.name }));
  const nameOf = (id: string) => configs.find((c) => c.id === id)?.name ?? id;
  const shown = (list.data ?? []).filter((t) => {
    if (!props.configId) return true;
    const c = t.grants.audit?.configs;
    return t.kind === "service" && (c === "all" || (c ?? []).includes(props.configId));
  });
  const close = (open: boolean) => {
    if (!open) setAction(undefined);
  };

  return (
    <section aria-labelledby="tokens-title">
      <div className="page-head">
        <h1 id="tokens-title">{props.configId ? `Tokens of ${nameOf(props.configId)}` : "Tokens"}</h1>
        <button type="button" className="button primary" onClick={() => setAction({ kind: "create" })}>
          Create Token
        </button>
      </div>
      <ErrorBanner error={list.error ?? error} />
      <div className="table-wrap">
        <table className="results">
          <caption className="visually-hidden">Tokens</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">Configurations</th>
              <th scope="col">Endpoints</th>
              <th scope="col">Restrictions</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => {
              const audit = t.grants.audit;
              const restrictions = Object.entries(audit?.field_restrictions ?? {}).flatMap(([cid, fields]) =>
                Object.entries(fields).map(([f, vs]) => `${nameOf(cid)}: ${f} = ${vs.join(", ")}`),
              );
              return (
                <tr key={t.id}>
                  <td>
                    <strong>{t.name}</strong>
                    <div className="small mono">{t.id}</div>
                    {t.kind === "admin" ? <div className="small muted">admin credential</div> : null}
                  </td>
                  <td>
                    <span className={`status status-${t.status}`}>{t.status}</span>
                  </td>
                  <td>{t.expires_at ?? "never"}</td>
                  <td>
                    {t.kind === "admin"
                      ? "manages the project"
                      : audit?.configs === "all"
                        ? "all"
                        : (audit?.configs ?? []).map(nameOf).join(", ") || "none"}
                  </td>
                  <td className="small">
                    {t.kind === "admin" ? "" : (audit?.endpoints?.join(", ") ?? "all")}
                  </td>
                  <td className="small">{restrictions.join("; ") || (t.kind === "admin" ? "" : "none")}</td>
                  <td>
                    <Menu.Root>
                      <Menu.Trigger className="button small" aria-label={`Actions for ${t.name}`}>
                        Actions ▾
                      </Menu.Trigger>
                      <Menu.Portal>
                        <Menu.Positioner className="positioner" sideOffset={4} align="end">
                          <Menu.Popup className="menu">
                            <Menu.Item
                              className="menu-item"
                              onClick={() => setAction({ kind: "update", token: t })}
                            >
                              Edit
                            </Menu.Item>
                            {t.kind === "service" ? (
                              <>
                                <Menu.Item
                                  className="menu-item"
                                  onClick={() => setAction({ kind: "extend", token: t })}
                                >
                                  Extend
                                </Menu.Item>
                                <Menu.Item
                                  className="menu-item"
                                  onClick={() => setAction({ kind: "template", token: t })}
                                >
                                  Copy as template
                                </Menu.Item>
                              </>
                            ) : null}
                            {t.status !== "revoked" ? (
                              <>
                                <Menu.Item
                                  className="menu-item"
                                  onClick={() => setAction({ kind: "rotate", token: t })}
                                >
                                  Rotate
                                </Menu.Item>
                                <Menu.Item
                                  className="menu-item danger"
                                  onClick={() => setAction({ kind: "revoke", token: t })}
                                >
                                  Revoke
                                </Menu.Item>
                              </>
                            ) : null}
                          </Menu.Popup>
                        </Menu.Positioner>
                      </Menu.Portal>
                    </Menu.Root>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <TokenDialog
        open={action?.kind === "create" || action?.kind === "update" || action?.kind === "template"}
        onOpenChange={close}
        mode={action?.kind === "update" ? "update" : "create"}
        token={action?.kind === "create" ? undefined : action?.token}
        configs={configs}
        defaultConfigId={props.configId}
      />
      <RotateDialog open={action?.kind === "rotate"} onOpenChange={close} token={action?.token} />
      <ExtendDialog
        open={action?.kind === "extend"}
        onOpenChange={close}
        token={action?.token}
        configs={configs}
      />
      <ConfirmDialog
        open={action?.kind === "revoke"}
        onOpenChange={close}
        title={`Revoke ${action?.token?.name ?? ""}?`}
        description={`Token ${action?.token?.name ?? ""} (${action?.token?.id ?? ""}) stops working at once, for every request and console session made with it. This cannot be undone.`}
        confirmLabel={`Revoke ${action?.token?.name ?? ""}`}
        onConfirm={async () => {
          try {
            await tokens.revoke(action!.token!.id);
            await queries.invalidateQueries({ queryKey: ["tokens"] });
          } catch (caught) {
            setError(caught);
          }
          setAction(undefined);
        }}
      />
    </section>
  );
}
