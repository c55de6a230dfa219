import { useEffect, useState } from 'react';
import { Dialog } from '../components/Dialog.js';
import { isLive } from '../components/StateBadge.js';
import { ComparePage } from '../pages/compare/ComparePage.js';
import { EvaluationsPage } from '../pages/evals/EvaluationsPage.js';
import { HistoryPage } from '../pages/history/HistoryPage.js';
import { LaunchPage } from '../pages/launch/LaunchPage.js';
import { NodesPage } from '../pages/nodes/NodesPage.js';
import { OverviewPage } from '../pages/OverviewPage.js';
import { RunPage } from '../pages/run/RunPage.js';
import { useRuns } from './hooks.js';
import { Link, matchPath, useRouter } from './router.js';
import { useTheme } from './theme-context.js';
import type { ThemeChoice } from './theme.js';
import { shownName } from '../lib/shown.js';

const navItems: { to: string; label: string; key: string; match: (p: string) => boolean }[] = [
  { to: '/', label: 'Overview', key: 'o', match: (p) => p === '/' },
  { to: '/launch', label: 'Launch', key: 'l', match: (p) => p.startsWith('/launch') },
  {
    to: '/history',
    label: 'Runs',
    key: 'r',
    match: (p) => p.startsWith('/history') || p.startsWith('/runs') || p.startsWith('/compare'),
  },
  { to: '/evaluations', label: 'Evaluations', key: 'e', match: (p) => p.startsWith('/evaluations') },
  { to: '/nodes', label: 'Nodes', key: 'n', match: (p) => p.startsWith('/nodes') },
];

function Page() {
  const { location } = useRouter();
  const path = location.path;
  let m: Record<string, string> | null;
  if ((m = matchPath('/runs/:id', path))) return <RunPage runId={m.id!} tab="training" />;
  if ((m = matchPath('/runs/:id/experts', path))) return <RunPage runId={m.id!} tab="experts" />;
  if ((m = matchPath('/runs/:id/details', path))) return <RunPage runId={m.id!} tab="details" />;
  if ((m = matchPath('/runs/:id/checkpoints', path))) return <RunPage runId={m.id!} tab="checkpoints" />;
  if (path === '/evaluations') return <EvaluationsPage />;
  if (path === '/launch') return <LaunchPage key={location.query.toString()} />;
  if (path === '/history') return <HistoryPage />;
  if (path === '/compare')
    return <ComparePage runIds={(location.query.get('runs') ?? '').split(',').filter(Boolean)} />;
  if (path === '/nodes') return <NodesPage />;
  if (path === '/' || path === '/index.html') return <OverviewPage />;
  return (
    <div className="page">
      <h1>Nothing here</h1>
      <p>
        <Link to="/">Go to the overview</Link>
      </p>
    </div>
  );
}

function ThemeSwitch() {
  const { choice, setChoice } = useTheme();
  const options: [ThemeChoice, string][] = [
    ['system', 'Auto'],
    ['light', 'Light'],
    ['dark', 'Dark'],
  ];
  return (
    <div className="segmented small theme-switch" role="radiogroup" aria-label="Theme">
      {options.map(([v, label]) => (
        <button
          key={v}
          type="button"
          role="radio"
          aria-checked={choice === v}
          className={choice === v ? 'active' : ''}
          onClick={() => setChoice(v)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

/** The application shell: navigation and live runs on the left, the current page on the right. */
export function App() {
  const { location, navigate } = useRouter();
  const { runs } = useRuns();
  const [help, setHelp] = useState(false);
  const live = (runs ?? []).filter((r) => isLive(r.state));

  // Single-key shortcuts after "g" (g o, g l, g r, g n) and "?" for help; never while typing.
  useEffect(() => {
    let pendingG = false;
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (
        e.ctrlKey ||
        e.metaKey ||
        e.altKey ||
        (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)))
      )
        return;
      if (e.key === '?') {
        setHelp(true);
        return;
      }
      if (pendingG) {
        pendingG = false;
        const item = navItems.find((n) => n.key === e.key);
        if (item) navigate(item.to);
        return;
      }
      if (e.key === 'g') pendingG = true;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>MoE Workbench</span>
        </div>
        <ul>
          {navItems.map((n) => (
            <li key={n.to}>
              <Link to={n.to} aria-current={n.match(location.path) ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
        {live.length > 0 && (
          <div className="sidebar-live">
            <h2 className="sidebar-heading">Training now</h2>
            <ul>
              {live.map((r) => (
                <li key={r.id}>
                  <Link
                    to={`/runs/${encodeURIComponent(r.id)}`}
                    className="live-link"
                    aria-current={location.path.startsWith(`/runs/${r.id}`) ? 'page' : undefined}
                  >
                    <span className={`live-dot live-${r.state}`} aria-hidden="true" />
                    <span className="live-name">{shownName(r.name)}</span>
                    <span className="live-step mono">{r.lastStep ?? '…'}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="sidebar-foot">
          <ThemeSwitch />
          <button type="button" className="link-button small" onClick={() => setHelp(true)}>
            Keyboard shortcuts <kbd>?</kbd>
          </button>
        </div>
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        <Page />
      </main>
      <Dialog open={help} title="Keyboard shortcuts" onClose={() => setHelp(false)}>
        <dl className="facts shortcuts">
          {navItems.map((n) => (
            <div key={n.key} className="contents">
              <dt>
                <kbd>g</kbd> <kbd>{n.key}</kbd>
              </dt>
              <dd>{n.label}</dd>
            </div>
          ))}
          <dt>
            <kbd>/</kbd>
          </dt>
          <dd>Search runs (on Runs)</dd>
          <dt>
            <kbd>?</kbd>
          </dt>
          <dd>This help</dd>
          <dt>Drag / double-click on a chart</dt>
          <dd>Zoom / reset</dd>
        </dl>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => setHelp(false)} autoFocus>
            Close
          </button>
        </div>
      </Dialog>
    </div>
  );
}
