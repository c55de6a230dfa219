import { useEffect, useMemo, useState } from 'react';
import type { HistoryRun } from '../../../../electron/contract/history.js';
import { useApi } from '../../app/api-context.js';
import { useNodes, useWidth } from '../../app/hooks.js';
import { Link } from '../../app/router.js';
import { useTheme } from '../../app/theme-context.js';
import { ChartToolbar } from '../../charts/ChartToolbar.js';
import { MetricChart, type ChartView } from '../../charts/MetricChart.js';
import { useMultiSeries } from '../../charts/use-multi-series.js';
import { useChartView } from '../../charts/view-state.js';
import { StateBadge } from '../../components/StateBadge.js';
import { diffConfigs } from '../../lib/config-diff.js';
import { formatCount, formatValue } from '../../lib/format.js';
import { trainingSeries } from '../run/TrainingCharts.js';
import { shownName } from '../../lib/shown.js';

const compared = ['train/loss', 'val/loss', 'train/lr', 'train/grad_norm', 'train/tokens_per_s', 'train/aux_loss'];

function CompareChart({
  runs,
  series,
  title,
  view,
  colors,
  yFormat,
}: {
  runs: HistoryRun[];
  series: string;
  title: string;
  view: ChartView;
  colors: string[];
  yFormat?: (v: number) => string;
}) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const data = useMultiSeries(
    runs.map((r) => r.id),
    series,
    Math.max(100, width),
    width > 0,
  );
  const lines = runs.map((r, i) => ({
    key: r.id,
    label: r.name,
    color: colors[i % colors.length]!,
    points: data.get(r.id)?.points ?? [],
    mode: data.get(r.id)?.mode ?? null,
  }));
  return (
    <div ref={ref} className="chart-cell">
      <MetricChart
        title={title}
        lines={lines}
        view={view}
        xRange={null}
        testId={`compare-${series}`}
        {...(yFormat ? { yFormat } : {})}
      />
    </div>
  );
}

/** Two or more runs side by side: overlaid charts aligned by step or tokens, and only the settings that differ. */
export function ComparePage({ runIds }: { runIds: string[] }) {
  const api = useApi();
  const nodes = useNodes();
  const { palette } = useTheme();
  const [runs, setRuns] = useState<HistoryRun[] | null>(null);
  const [view, setView] = useChartView();
  const key = runIds.join(',');
  useEffect(() => {
    const ids = key.split(',').filter(Boolean);
    void Promise.all(ids.map((runId) => api.invoke('history:run', { runId }).catch(() => null))).then((r) =>
      setRuns(r.filter((x): x is HistoryRun => x !== null)),
    );
  }, [api, key]);
  const nodeNames = useMemo(() => Object.fromEntries((nodes ?? []).map((n) => [n.id, n.name])), [nodes]);
  const diff = useMemo(() => {
    if (!runs) return [];
    const meta = runs.map((r) => ({ '(preset)': r.preset ?? 'custom', '(node)': nodeNames[r.nodeId] ?? r.nodeId }));
    return diffConfigs(runs.map((r, i) => ({ ...meta[i], ...r.config })));
  }, [runs, nodeNames]);

  if (runIds.length < 2) {
    return (
      <div className="page">
        <h1>Compare runs</h1>
        <p>
          Pick two or more runs in <Link to="/history">Runs</Link> and press Compare.
        </p>
      </div>
    );
  }
  if (!runs) return <p aria-busy="true">Loading runs…</p>;
  const xView: ChartView = view.xMode === 'time' ? { ...view, xMode: 'step' } : view;
  const colors = palette.series;

  return (
    <div className="page" data-testid="compare-page">
      <header className="page-header">
        <div>
          <p className="crumbs">
            <Link to="/history">Runs</Link> / compare
          </p>
          <h1>Compare {runs.length} runs</h1>
        </div>
      </header>
      <ul className="compare-legend" aria-label="Compared runs">
        {runs.map((r, i) => (
          <li key={r.id}>
            <span className="swatch-line" data-color-index={i % colors.length} aria-hidden="true">
              <svg width="18" height="8">
                <line x1="0" y1="4" x2="18" y2="4" stroke={colors[i % colors.length]} strokeWidth="3" />
              </svg>
            </span>
            <Link to={`/runs/${encodeURIComponent(r.id)}`}>{shownName(r.name)}</Link> <StateBadge state={r.state} />
            <span className="muted small">
              {' '}
              step {r.lastStep ?? '—'} · {formatCount(r.tokens)} tokens · loss {formatValue(r.lastLoss)}
            </span>
          </li>
        ))}
      </ul>

      <section
        className="card"
        aria-labelledby="diff-h"
        data-testid="config-diff"
        data-keys={diff.map((d) => d.key).join(',')}
      >
        <h2 id="diff-h">What differs</h2>
        {diff.length === 0 ? (
          <p>
            These runs have the same configuration{runs.every((r) => r.nodeId === runs[0]!.nodeId) ? ' and node' : ''}.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="table compact diff-table" aria-label="Configuration differences">
              <thead>
                <tr>
                  <th scope="col">Setting</th>
                  {runs.map((r) => (
                    <th key={r.id} scope="col">
                      {shownName(r.name)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {diff.map((row) => (
                  <tr key={row.key}>
                    <th scope="row" className="mono">
                      {row.key.startsWith('(') ? row.key.slice(1, -1) : `--${row.key}`}
                    </th>
                    {row.values.map((v, i) => (
                      <td key={i} className="mono">
                        {v === undefined ? <span className="muted">not set</span> : String(v)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <div className="section-bar">
        <ChartToolbar view={xView} onChange={setView} modes={['step', 'tokens']} />
      </div>
      <div className="chart-grid">
        {compared.map((s) => {
          const meta = trainingSeries.find((t) => t.series === s)!;
          return (
            <CompareChart
              key={s}
              runs={runs}
              series={s}
              title={meta.title}
              view={meta.smooth === false ? { ...xView, smoothing: 0 } : xView}
              colors={colors}
              {...(meta.format ? { yFormat: meta.format } : {})}
            />
          );
        })}
      </div>
    </div>
  );
}
