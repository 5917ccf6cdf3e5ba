// The web UI's entry: sign-in, the frame (navigation by role) and the screens by URL.

import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { api, can, isSignedOut, setCsrf, type Session } from './api.ts';
import { navigate, onLinkClick, useLocation } from './router.ts';
import { Announcer, ErrorBox } from './components.tsx';
import { closeLive, onStoreStatus } from './live.ts';
import { useTimeZone } from './time-zone.ts';
import { ZoneSetting } from './zone-setting.tsx';
import { WorkPage } from './pages/work.tsx';
import { ActionPage } from './pages/action.tsx';
import { DashboardPage } from './pages/dashboard.tsx';
import { CasesPage, NotificationsPage } from './pages/cases.tsx';
import { CasePage } from './pages/case.tsx';
import { SchedulePage, SchedulesPage } from './pages/schedules.tsx';

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      onSignedIn(await api<Session>('POST', '/ui/session', { key }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <main id="main" class="signin">
      <h1 tabIndex={-1}>Sign in to Callout</h1>
      {/* User credentials arrive with users; this form then gains a second tab. */}
      <form onSubmit={submit}>
        <div class="field">
          <label for="api-key">API key</label>
          <input
            id="api-key"
            name="key"
            type="password"
            autoComplete="off"
            required
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
          <small class="hint">The key is exchanged for a session cookie and not kept in the page.</small>
        </div>
        <button type="submit">Sign in</button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

type LaterScreens = typeof import('./later-screens.ts');
let laterScreens: LaterScreens | undefined;
let loadingLaterScreens: Promise<LaterScreens> | undefined;

/**
 * A screen from the chunk of those few page loads need (later-screens.ts; fetched once, on first use).
 * The heading navigation focused while it loaded is handed on to the screen's own. A failed load is
 * said on its own screen and tried again on the next (one component serves them all: not remounted,
 * which would lose a screen's state as it moves from /new to what it created).
 */
function LaterScreen({ show }: { show: (s: LaterScreens) => JSX.Element }) {
  const { path } = useLocation();
  const [screens, setScreens] = useState(laterScreens);
  const [failed, setFailed] = useState<{ at: string; error: unknown } | null>(null);
  const loading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (screens) return;
    let live = true;
    (loadingLaterScreens ??= import('./later-screens.ts')).then(
      (s) => {
        laterScreens = s;
        if (!live) return;
        const focused = document.activeElement === loading.current;
        setScreens(s);
        if (focused) requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus());
      },
      (error: unknown) => {
        loadingLaterScreens = undefined; // tried again on the next visit (a deploy replaced the chunk)
        if (live) setFailed({ at: path, error });
      },
    );
    return () => {
      live = false;
    };
  }, [path]);
  if (screens) return show(screens);
  const error = failed?.at === path ? failed.error : null;
  return (
    <main id="main">
      <h1 tabIndex={-1} ref={loading}>
        {error ? 'This screen could not be loaded' : 'Loading…'}
      </h1>
      {error ? <ErrorBox error={error} /> : null}
    </main>
  );
}

const BUILDER_PATHS = ['/ui/connectors', '/ui/action-types', '/ui/config', '/ui/processes', '/ui/queues', '/ui/webhooks'];

function Screen({ session }: { session: Session }) {
  const { path, query } = useLocation();
  // A segment that does not decode (`%E0%A4%A`, reachable through history) is treated as no match.
  const m = (re: RegExp): string | undefined => {
    const raw = re.exec(path)?.[1];
    if (raw === undefined) return undefined;
    try {
      decodeURIComponent(raw);
      return raw;
    } catch {
      return undefined;
    }
  };
  if (BUILDER_PATHS.some((p) => path.startsWith(p)) && !can(session, 'builder')) return <NotAllowed what="the builder" />;
  if ((path.startsWith('/ui/api-keys') || path.startsWith('/ui/users')) && !can(session, 'admin'))
    return <NotAllowed what="users and API keys" />;
  // Even a dry run is an operator's (the route admits operators only).
  if (path.startsWith('/ui/replays') && !can(session, 'operator')) return <NotAllowed what="bulk replays" />;
  let id: string | undefined;
  if (path === '/ui/work' || path === '/ui' || path === '/ui/') return <WorkPage session={session} query={query} />;
  if ((id = m(/^\/ui\/actions\/([^/]+)$/))) return <ActionPage session={session} id={decodeURIComponent(id)} />;
  if (path === '/ui/dashboard') return <DashboardPage />;
  if (path === '/ui/replays') return <LaterScreen show={(s) => <s.ReplaysPage session={session} query={query} />} />;
  if ((id = m(/^\/ui\/replays\/([^/]+)$/))) {
    const rid = decodeURIComponent(id);
    return <LaterScreen show={(s) => <s.ReplayRunPage id={rid} query={query} />} />;
  }
  if (path === '/ui/notifications') return <NotificationsPage query={query} />;
  if (path === '/ui/cases') return <CasesPage session={session} query={query} />;
  if ((id = m(/^\/ui\/cases\/([^/]+)$/))) return <CasePage session={session} id={decodeURIComponent(id)} />;
  if (path === '/ui/processes') return <LaterScreen show={(s) => <s.ProcessesPage />} />;
  if ((id = m(/^\/ui\/processes\/([^/]+)$/))) {
    const name = decodeURIComponent(id);
    return <LaterScreen show={(s) => <s.ProcessPage name={name} />} />;
  }
  if (path === '/ui/queues') return <LaterScreen show={(s) => <s.QueuesPage />} />;
  if ((id = m(/^\/ui\/queues\/([^/]+)$/))) {
    const name = decodeURIComponent(id);
    return <LaterScreen show={(s) => <s.QueuePage name={name} />} />;
  }
  if (path === '/ui/users') return <LaterScreen show={(s) => <s.UsersPage />} />;
  if (path === '/ui/connectors') return <LaterScreen show={(s) => <s.ConnectorsPage />} />;
  if ((id = m(/^\/ui\/connectors\/([^/]+)$/))) {
    const cid = decodeURIComponent(id);
    return <LaterScreen show={(s) => <s.ConnectorPage id={cid} />} />;
  }
  if (path === '/ui/action-types') return <LaterScreen show={(s) => <s.ActionTypesPage />} />;
  if ((id = m(/^\/ui\/action-types\/([^/]+)$/))) {
    const tid = decodeURIComponent(id);
    return <LaterScreen show={(s) => <s.ActionTypePage session={session} id={tid} />} />;
  }
  if (path === '/ui/api-keys') return <LaterScreen show={(s) => <s.ApiKeysPage />} />;
  if (path === '/ui/webhooks') return <LaterScreen show={(s) => <s.WebhooksPage query={query} />} />;
  // Every role reads schedules; only a builder sees what changes them.
  if (path === '/ui/schedules') return <SchedulesPage session={session} />;
  if ((id = m(/^\/ui\/schedules\/([^/]+)$/))) return <SchedulePage session={session} id={decodeURIComponent(id)} />;
  if (path === '/ui/config') return <LaterScreen show={(s) => <s.ConfigPage />} />;
  return (
    <main id="main">
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        There is no screen at <code>{path}</code>. <a href="/ui/work">Go to the work manager</a>.
      </p>
    </main>
  );
}

function NotAllowed({ what }: { what: string }) {
  return (
    <main id="main">
      <h1 tabIndex={-1}>Not available</h1>
      <p>Your key's roles do not include {what}.</p>
    </main>
  );
}

function Nav({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const { path } = useLocation();
  const link = (href: string, text: string) => (
    <li>
      <a href={href} aria-current={path.startsWith(href) ? 'page' : undefined}>
        {text}
      </a>
    </li>
  );
  return (
    <header class="top">
      <a class="brand" href="/ui/work">
        Callout
      </a>
      <nav aria-label="Main">
        <ul>
          {link('/ui/work', 'Work')}
          {link('/ui/cases', 'Cases')}
          {link('/ui/dashboard', 'Dashboard')}
          {link('/ui/notifications', 'Notifications')}
          {can(session, 'operator') && link('/ui/replays', 'Bulk replay')}
          {can(session, 'builder') && link('/ui/connectors', 'Connectors')}
          {can(session, 'builder') && link('/ui/action-types', 'Action types')}
          {can(session, 'builder') && link('/ui/processes', 'Processes')}
          {can(session, 'builder') && link('/ui/queues', 'Queues')}
          {can(session, 'builder') && link('/ui/webhooks', 'Webhooks')}
          {link('/ui/schedules', 'Schedules')}
          {can(session, 'admin') && link('/ui/users', 'Users')}
          {can(session, 'admin') && link('/ui/api-keys', 'API keys')}
          {can(session, 'builder') && link('/ui/config', 'Configuration')}
        </ul>
      </nav>
      <span class="who">
        <ZoneSetting />
        <span data-testid="who">{session.displayName ?? session.name}</span> <span class="roles">({session.roles.join(', ')})</span>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </span>
    </header>
  );
}

/** Said at the top of every screen while the server's store does not answer: what is shown may be stale. */
function StoreDown() {
  const [down, setDown] = useState(false);
  useEffect(() => onStoreStatus((ok) => setDown(!ok)), []);
  if (!down) return null;
  return (
    <p class="error" role="alert" data-testid="store-down">
      Callout's store is not answering: what this page shows may be out of date, and changes will fail until it is back.
    </p>
  );
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [signOutError, setSignOutError] = useState<unknown>(null);
  // A zone chosen (here or in another tab) draws the open screen again, every time on it in that zone.
  useTimeZone();
  const accept = (s: Session | null): void => {
    if (s) setCsrf(s.csrf);
    else closeLive();
    setSession(s);
  };
  useEffect(() => {
    // Not signed in: the sign-in form. Two session cookies (one planted by another page of the host):
    // the server's explanation, as signing in again cannot clear the planted one.
    api<Session>('GET', '/ui/session').then(accept, (e: unknown) => (isSignedOut(e) ? accept(null) : setError(e)));
    const out = (): void => accept(null);
    window.addEventListener('callout:signed-out', out);
    return () => window.removeEventListener('callout:signed-out', out);
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={accept} />;
  // Only a sign-out the server confirmed shows the sign-in form: on a shared machine, a form shown while
  // the session lives on (the request refused, the network down) would leave it to the next person.
  const signOut = (): void => {
    api('DELETE', '/ui/session').then(
      () => {
        setSignOutError(null);
        accept(null);
        navigate('/ui/work', true);
      },
      (e: unknown) => setSignOutError(e),
    );
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Nav session={session} onSignOut={signOut} />
      {signOutError ? (
        <div data-testid="sign-out-failed">
          <p class="error" role="alert">
            Signing out failed: you are still signed in. Try again; if it keeps failing, close the browser.
          </p>
          <ErrorBox error={signOutError} />
        </div>
      ) : null}
      <StoreDown />
      <Screen session={session} />
      <Announcer />
    </>
  );
}

document.addEventListener('click', onLinkClick);
render(<App />, document.getElementById('app')!);
