import { Redirect, Route, Router, Switch } from "wouter";
import { Announcer } from "../components/ui/Announcer.js";
import { SignIn } from "../features/auth/SignIn.js";
import { useSession } from "../features/auth/session.js";
import { Layout } from "./Layout.js";

/** The console under /console: the sign-in page, or the signed-in layout and its routes. */
export function App() {
  const { session } = useSession();
  return (
    <Router base="/console">
      <Announcer />
      {session === undefined ? (
        <p className="loading" role="status">
          Loading…
        </p>
      ) : session === null ? (
        <Switch>
          <Route path="/sign-in">
            <SignIn />
          </Route>
          <Route>
            <Redirect to="/sign-in" replace />
          </Route>
        </Switch>
      ) : (
        <Switch>
          <Route path="/sign-in">
            <Redirect to="/" replace />
          </Route>
          <Route>
            <Layout session={session} />
          </Route>
        </Switch>
      )}
    </Router>
  );
}
