import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { RouterData, RouterLayerStats } from '../../../../electron/contract/metrics.js';
import { useApi } from '../../app/api-context.js';
import { useEvent } from '../../app/hooks.js';
import { Heatmap } from '../../charts/Heatmap.js';
import { MetricChart, type ChartLine } from '../../charts/MetricChart.js';
import { formatPercent, formatValue } from '../../lib/format.js';
import { normalisedEntropy, routerAlerts } from '../../lib/router-alerts.js';
import type { ChartPoint } from '../../lib/series.js';

type Metric = 'cv' | 'maxOverMean' | 'entropy';

const kindNames: Record<string, string> = { attn: 'Attention routers (MoA)', mlp: 'MLP routers (MoE)' };
const kindShort: Record<string, string> = { attn: 'attention', mlp: 'MLP' };

function kindsOf(layers: { kind: string }[]): string[] {
  const order = ['attn', 'mlp'];
  return [...new Set(layers.map((l) => l.kind))].sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
}

/** The MoE views of a run: expert load per layer at any step, balance over time, alerts, domains. */
export function ExpertsView({ runId, live }: { runId: string; live: boolean }) {
  const api = useApi();
  const [data, setData] = useState<RouterData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null); // null = follow the newest
  const [metric, setMetric] = useState<Metric>('cv');
  const [kind, setKind] = useState<string>('mlp');
  const [domainRouter, setDomainRouter] = useState<string>('');
  const sliderId = useId();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(
    (step: number | null) => {
      api.invoke('metrics:router', { runId, maxPoints: 400, ...(step !== null ? { step } : {}) }).then(
        (d) => {
          setData(d);
          setError(null);
        },
        (e: unknown) => setError((e as Error).message),
      );
    },
    [api, runId],
  );

  useEffect(() => load(null), [load]);
  useEvent('metrics:appended', (e) => {
    if (!live || e.runId !== runId || !e.records.router) return;
    if (selected === null) load(null);
  });

  const steps = useMemo(() => data?.history[0]?.points.map((p) => p.step) ?? [], [data]);
  const snapshot = data?.snapshot ?? null;
  const kinds = useMemo(() => kindsOf(snapshot?.layers ?? data?.history ?? []), [snapshot, data]);
  const alerts = useMemo(() => routerAlerts(snapshot?.layers ?? []), [snapshot]);
  const experts = snapshot?.layers[0]?.load.length ?? 0;

  const pick = (index: number): void => {
    const step = steps[index];
    if (step === undefined) return;
    const newest = index === steps.length - 1;
    setSelected(newest ? null : step);
    if (pending.current) clearTimeout(pending.current);
    pending.current = setTimeout(() => load(newest ? null : step), 120);
  };

  if (error)
    return (
      <p role="alert" className="notice notice-error">
        {error}
      </p>
    );
  if (!data) return <p aria-busy="true">Loading router statistics…</p>;
  if (!snapshot) {
    return (
      <div className="empty-state" data-testid="experts-empty">
        <h2>No router statistics yet</h2>
        <p>
          The trainer writes expert load every <code>--router-stats-every</code> steps; the heatmaps fill in with the
          first record.
        </p>
      </div>
    );
  }

  const sliderIndex = selected === null ? steps.length - 1 : Math.max(0, steps.indexOf(snapshot.step));
  const routersWithDomains = snapshot.layers.filter((l) => l.byDomain && Object.keys(l.byDomain).length);
  const domainKey =
    domainRouter || (routersWithDomains[0] ? `${routersWithDomains[0].layer}/${routersWithDomains[0].kind}` : '');
  const domainLayer = routersWithDomains.find((l) => `${l.layer}/${l.kind}` === domainKey) ?? null;

  return (
    <section aria-label="Experts" className="experts" data-testid="experts-view" data-step={snapshot.step}>
      <div className="section-bar">
        <div className="step-picker">
          <label htmlFor={sliderId}>
            Router step <strong className="mono">{snapshot.step}</strong>
            {selected === null && live && <span className="pill">following live</span>}
          </label>
          <input
            id={sliderId}
            type="range"
            min={0}
            max={Math.max(0, steps.length - 1)}
            value={sliderIndex}
            onChange={(e) => pick(Number(e.target.value))}
            aria-valuetext={`step ${steps[sliderIndex] ?? snapshot.step}`}
            disabled={steps.length < 2}
          />
          {selected !== null && (
            <button type="button" className="button small" onClick={() => pick(steps.length - 1)}>
              Newest
            </button>
          )}
        </div>
      </div>

      <AlertList alerts={alerts} />

      <div className="heatmap-row">
        {kinds.map((k) => {
          const layers = snapshot.layers.filter((l) => l.kind === k).sort((a, b) => a.layer - b.layer);
          return (
            <Heatmap
              key={k}
              title={`${kindNames[k] ?? k} · expert load at step ${snapshot.step}`}
              testId={`heatmap-${k}`}
              rows={layers.map((l) => ({ label: `Layer ${l.layer}`, values: l.load, dead: l.dead }))}
              columnLabel={(c) => `E${c}`}
              fair={experts ? 1 / experts : 0}
              formatCell={(v) => formatPercent(v, 2)}
              describeCell={(r, c) => `Layer ${layers[r]?.layer ?? r}, expert ${c}`}
            />
          );
        })}
        <LayerTable layers={snapshot.layers} experts={experts} />
      </div>
      <p className="hint small">
        Share of token assignments per expert since the previous record. Neutral = the fair share (
        {experts ? formatPercent(1 / experts, 3) : '—'}); warm = overloaded; cold = starved; crossed out = dead.
      </p>

      <div className="card">
        <div className="section-bar">
          <h3>Balance over time</h3>
          <div className="toolbar">
            <div className="segmented" role="radiogroup" aria-label="Router kind">
              {kinds.map((k) => (
                <button
                  key={k}
                  type="button"
                  role="radio"
                  aria-checked={kind === k}
                  className={kind === k ? 'active' : ''}
                  onClick={() => setKind(k)}
                >
                  {kindShort[k] ?? k}
                </button>
              ))}
            </div>
            <div className="segmented" role="radiogroup" aria-label="Balance measure">
              {(
                [
                  ['cv', 'Coefficient of variation'],
                  ['maxOverMean', 'Max / mean'],
                  ['entropy', 'Entropy / ln E'],
                ] as [Metric, string][]
              ).map(([m, label]) => (
                <button
                  key={m}
                  type="button"
                  role="radio"
                  aria-checked={metric === m}
                  className={metric === m ? 'active' : ''}
                  onClick={() => setMetric(m)}
                >
                  {label}
                </button>
              ))}
            </div>
          </div>
        </div>
        <MetricChart
          title={
            `${metric === 'cv' ? 'Load CV' : metric === 'maxOverMean' ? 'Max / mean load' : 'Normalised router entropy'}` +
            ` per layer (${kindShort[kind] ?? kind})`
          }
          testId="balance-chart"
          lines={balanceLines(data, kind, metric, experts)}
          view={{ xMode: 'step', yLog: false, xLog: false, smoothing: 0 }}
          xRange={null}
          height={240}
        />
      </div>

      {domainLayer && (
        <div className="card">
          <div className="section-bar">
            <h3>Token share per data domain</h3>
            <label className="inline-field">
              Router{' '}
              <select value={domainKey} onChange={(e) => setDomainRouter(e.target.value)}>
                {routersWithDomains.map((l) => (
                  <option key={`${l.layer}/${l.kind}`} value={`${l.layer}/${l.kind}`}>
                    Layer {l.layer} {kindShort[l.kind] ?? l.kind}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <Heatmap
            title={`Layer ${domainLayer.layer} ${kindShort[domainLayer.kind] ?? domainLayer.kind} router: load by domain`}
            testId="heatmap-domains"
            rows={Object.entries(domainLayer.byDomain ?? {}).map(([d, values]) => ({ label: d, values }))}
            columnLabel={(c) => `E${c}`}
            fair={experts ? 1 / experts : 0}
            formatCell={(v) => formatPercent(v, 2)}
            describeCell={(r, c) => `${Object.keys(domainLayer.byDomain ?? {})[r] ?? r}, expert ${c}`}
          />
          <p className="hint small">
            Where each domain's tokens went: rows far from neutral show experts specialising by domain.
          </p>
        </div>
      )}
    </section>
  );
}

function balanceLines(data: RouterData, kind: string, metric: Metric, experts: number): ChartLine[] {
  return data.history
    .filter((h) => h.kind === kind)
    .sort((a, b) => a.layer - b.layer)
    .map((h) => ({
      key: `L${h.layer}`,
      label: `Layer ${h.layer}`,
      mode: 'raw' as const,
      points: h.points.map((p): ChartPoint => {
        const y = metric === 'entropy' ? normalisedEntropy(p.entropy, experts) : p[metric];
        return { step: p.step, tokens: null, time: null, y, min: y, max: y, count: 1 };
      }),
    }));
}

function AlertList({ alerts }: { alerts: ReturnType<typeof routerAlerts> }) {
  if (!alerts.length) {
    return (
      <p className="status status-ok" data-testid="router-alerts" data-count={0}>
        No dead or overloaded experts at this step.
      </p>
    );
  }
  return (
    <ul className="alerts" data-testid="router-alerts" data-count={alerts.length} aria-label="Router alerts">
      {alerts.map((a) => (
        <li key={`${a.layer}/${a.kind}/${a.level}`} className={`alert alert-${a.level}`}>
          <span className="alert-level">{a.level === 'error' ? 'Dead' : 'Overloaded'}</span> {a.message}
        </li>
      ))}
    </ul>
  );
}

function LayerTable({ layers, experts }: { layers: RouterLayerStats[]; experts: number }) {
  const sorted = [...layers].sort((a, b) => a.layer - b.layer || a.kind.localeCompare(b.kind));
  return (
    <div className="table-wrap fit">
      <table className="table compact" aria-label="Router balance per layer">
        <thead>
          <tr>
            <th scope="col">Layer</th>
            <th scope="col">Router</th>
            <th scope="col" className="num">
              CV
            </th>
            <th scope="col" className="num">
              Max / mean
            </th>
            <th scope="col" className="num">
              Entropy / ln E
            </th>
            <th scope="col" className="num">
              Dead
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((l) => (
            <tr key={`${l.layer}/${l.kind}`}>
              <td>{l.layer}</td>
              <td>{kindShort[l.kind] ?? l.kind}</td>
              <td className="num">{formatValue(l.cv, 3)}</td>
              <td className="num">{formatValue(l.maxOverMean, 3)}</td>
              <td className="num">{formatValue(normalisedEntropy(l.entropy, experts), 3)}</td>
              <td className="num">{l.dead.length || ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
