import { useQueryClient } from "@tanstack/react-query";
import type { SessionView } from "@veritrail/core";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from "react";
import { ApiError, setCsrfToken, setUnauthorizedHandler } from "../../api/client.js";
import { session as sessionApi } from "../../api/endpoints.js";

interface SessionState {
  session: SessionView | null | undefined;
  signIn: (token: string) => Promise<SessionView>;
  signOut: () => Promise<void>;
  refresh: () => Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/**
 * The signed-in session. The credential typed at sign-in goes to the server once and is never
 * kept; what the browser holds is the HttpOnly cookie and, in memory, the CSRF token.
 */
export function SessionProvider(props: { children: ReactNode }) {
  const [session, setSession] = useState<SessionView | null | undefined>(undefined);
  const queries = useQueryClient();

  const accept = useCallback((info: SessionView | null) => {
    setCsrfToken(info?.csrf_token);
    setSession(info);
  }, []);

  const refresh = useCallback(async () => {
    try {
      accept(await sessionApi.get());
    } catch (error) {
      if (error instanceof ApiError && error.status === "Unauthorized") accept(null);
      else throw error;
    }
  }, [accept]);

  useEffect(() => {
    // A refusal may only mean that the token does not grant this endpoint: sign out only when
    // the session itself no longer works.
    setUnauthorizedHandler(() => {
      sessionApi.get().then(
        (info) => setCsrfToken(info.csrf_token),
        () => {
          queries.clear();
          accept(null);
        },
      );
    });
    refresh().catch(() => accept(null));
    return () => setUnauthorizedHandler(undefined);
  }, [refresh, accept, queries]);

  const signIn = useCallback(
    async (token: string) => {
      const info = await sessionApi.create(token);
      queries.clear();
      accept(info);
      return info;
    },
    [accept, queries],
  );

  const signOut = useCallback(async () => {
    try {
      await sessionApi.end();
    } finally {
      queries.clear();
      accept(null);
    }
  }, [accept, queries]);

  return (
    <SessionContext.Provider value={{ session, signIn, signOut, refresh }}>
      {props.children}
    </SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error("useSession outside SessionProvider");
  return state;
}

/** The session of a signed-in page (the app shows the sign-in page otherwise). */
export function useSignedIn(): SessionView {
  const { session } = useSession();
  if (!session) throw new Error("not signed in");
  return session;
}
