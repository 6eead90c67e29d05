import { Menu } from "@base-ui/react/menu";
import { useQuery } from "@tanstack/react-query";
import type { SessionView } from "@veritrail/core";
import { useState } from "react";
import { Link, Redirect, Route, Switch, useLocation, useRoute } from "wouter";
import { configs as configsApi } from "../api/endpoints.js";
import { useSession } from "../features/auth/session.js";
import { CreateConfigDialog } from "../features/configs/CreateConfigDialog.js";
import { Overview } from "../features/configs/Overview.js";
import { Settings } from "../features/settings/Settings.js";
import { TokensPage } from "../features/tokens/TokensPage.js";
import { LogViewer } from "../features/viewer/LogViewer.js";

/** The configurations the session reaches: every one for an admin, the token's for a reader. */
function useConfigList(session: SessionView) {
  return useQuery({
    queryKey: ["configs"],
    queryFn: async () =>
      session.kind === "admin"
        ? (await configsApi.list()).map((c) => ({ id: c.id, name: c.name }))
        : session.configs,
  });
}

export function Layout(props: { session: SessionView }) {
  const { session } = props;
  const { signOut } = useSession();
  const [, navigate] = useLocation();
  const [, params] = useRoute<{ configId: string; rest?: string }>("/c/:configId/*?");
  const list = useConfigList(session);
  const [creating, setCreating] = useState(false);
  const isAdmin = session.kind === "admin";
  const configId = params?.configId;
  const current = list.data?.find((c) => c.id === configId);
  const first = list.data?.[0];

  if (!configId && first && !window.location.pathname.startsWith("/console/tokens")) {
    return <Redirect to={`/c/${first.id}/${isAdmin ? "overview" : "logs"}`} replace />;
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar" aria-label="Console navigation">
        <div className="brand">Veritrail</div>
        <Menu.Root>
          <Menu.Trigger className="config-switcher">
            <span className="config-switcher-label">Configuration</span>
            <span className="config-switcher-name">{current?.name ?? "Choose a configuration"}</span>
            <span aria-hidden="true">▾</span>
          </Menu.Trigger>
          <Menu.Portal>
            <Menu.Positioner className="positioner" sideOffset={4} align="start">
              <Menu.Popup className="menu">
                {(list.data ?? []).map((c) => (
                  <Menu.Item
                    key={c.id}
                    className="menu-item"
                    onClick={() => navigate(`/c/${c.id}/${isAdmin ? (params?.rest ?? "overview") : "logs"}`)}
                  >
                    {c.id === configId ? "✓ " : ""}
                    {c.name}
                  </Menu.Item>
                ))}
                {isAdmin ? (
                  <>
                    <Menu.Separator className="menu-separator" />
                    <Menu.Item className="menu-item" onClick={() => setCreating(true)}>
                      + Create New
                    </Menu.Item>
                  </>
                ) : null}
              </Menu.Popup>
            </Menu.Positioner>
          </Menu.Portal>
        </Menu.Root>
        <nav aria-label="Sections">
          <ul className="nav">
            {configId && isAdmin ? <NavLink to={`/c/${configId}/overview`} label="Overview" /> : null}
            {configId ? <NavLink to={`/c/${configId}/logs`} label="Log Viewer" /> : null}
            {configId && isAdmin ? <NavLink to={`/c/${configId}/tokens`} label="Tokens" /> : null}
            {configId && isAdmin ? <NavLink to={`/c/${configId}/settings`} label="Settings" /> : null}
            {isAdmin ? <NavLink to="/tokens" label="All tokens" /> : null}
          </ul>
        </nav>
        <div className="sidebar-foot">
          <div className="muted small">
            Signed in {isAdmin ? "as admin" : "with audit token"} <strong>{session.name}</strong>
          </div>
          <button type="button" className="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </aside>
      <main className="content" id="main" tabIndex={-1}>
        <Switch>
          {isAdmin ? (
            <Route path="/c/:configId/overview">{(p) => <Overview configId={p.configId} />}</Route>
          ) : null}
          <Route path="/c/:configId/logs">
            {(p) => <LogViewer key={p.configId} configId={p.configId} session={session} />}
          </Route>
          {isAdmin ? (
            <Route path="/c/:configId/tokens">{(p) => <TokensPage configId={p.configId} />}</Route>
          ) : null}
          {isAdmin ? (
            <Route path="/c/:configId/settings">
              {(p) => <Settings configId={p.configId} onCreateNew={() => setCreating(true)} />}
            </Route>
          ) : null}
          {isAdmin ? (
            <Route path="/tokens">
              <TokensPage />
            </Route>
          ) : null}
          <Route>
            {list.isLoading ? (
              <p role="status">Loading…</p>
            ) : (
              <section>
                <h1>Nothing here</h1>
                <p>This page does not exist, or this session may not see it.</p>
              </section>
            )}
          </Route>
        </Switch>
      </main>
      {isAdmin ? (
        <CreateConfigDialog
          open={creating}
          onOpenChange={setCreating}
          onOpenConfig={(id) => navigate(`/c/${id}/overview`)}
        />
      ) : null}
    </div>
  );
}

function NavLink(props: { to: string; label: string }) {
  const [active] = useRoute(props.to);
  return (
    <li>
      <Link
        href={props.to}
        className={active ? "nav-link active" : "nav-link"}
        aria-current={active ? "page" : undefined}
      >
        {props.label}
      </Link>
    </li>
  );
}
