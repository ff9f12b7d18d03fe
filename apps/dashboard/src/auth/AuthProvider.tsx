import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useApolloClient, useQuery } from '@apollo/client/react';
import { SignInDocument, SignOutDocument, ViewerDocument } from './documents';
import type { ViewerQuery } from '../gql/graphql';
import {
  currentRefreshToken,
  endSession,
  hasSession,
  onSessionChange,
  refreshSession,
  startSession,
  type SessionTokens,
} from './session';

interface Auth {
  /** the signed-in caller, or null while signed out */
  viewer: ViewerQuery['me'] | null;
  branches: ViewerQuery['branches'];
  loading: boolean;
  /** the viewer query's failure other than being signed out (network, server) */
  error: unknown;
  signIn(username: string, password: string): Promise<void>;
  /** a session handed over by campus SSO (the callback's URL fragment) */
  adoptSession(tokens: SessionTokens): Promise<void>;
  signOut(): Promise<void>;
  /** after the password was changed: a new session whose token carries the roles */
  renewSession(): Promise<void>;
  refetch(): Promise<unknown>;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const client = useApolloClient();
  const [signedIn, setSignedIn] = useState(hasSession);
  useEffect(() => onSessionChange(setSignedIn), []);
  const { data, loading, error, refetch } = useQuery(ViewerDocument, {
    skip: !signedIn,
    fetchPolicy: 'network-only',
  });

  const signIn = useCallback(
    async (username: string, password: string) => {
      const result = await client.mutate({ mutation: SignInDocument, variables: { username, password } });
      if (!result.data) throw result.error;
      startSession(result.data.login);
      await client.resetStore();
    },
    [client],
  );
  const adoptSession = useCallback(
    async (tokens: SessionTokens) => {
      startSession(tokens);
      await client.resetStore();
    },
    [client],
  );
  const signOut = useCallback(async () => {
    const refreshToken = currentRefreshToken();
    if (refreshToken)
      await client.mutate({ mutation: SignOutDocument, variables: { refreshToken } }).catch(() => undefined); // signed out here whatever the gateway says
    endSession();
    await client.clearStore();
  }, [client]);
  const renewSession = useCallback(async () => {
    await refreshSession();
    await client.resetStore();
  }, [client]);

  const value = useMemo<Auth>(
    () => ({
      viewer: signedIn ? (data?.me ?? null) : null,
      branches: data?.branches ?? [],
      loading: signedIn && loading && !data,
      error: signedIn ? error : undefined,
      signIn,
      adoptSession,
      signOut,
      renewSession,
      refetch,
    }),
    [signedIn, data, loading, error, signIn, adoptSession, signOut, renewSession, refetch],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

/** The signed-in viewer (for pages inside the shell, which renders only when there is one). */
export function useViewer(): NonNullable<Auth['viewer']> {
  const { viewer } = useAuth();
  if (!viewer) throw new Error('useViewer outside the signed-in shell');
  return viewer;
}
