import { useEffect, useId, useState } from 'react';
import type { PlanOk } from '../../../../electron/contract/config.js';
import type { MeasuredThroughput } from '../../../../electron/contract/history.js';
import { useApi } from '../../app/api-context.js';
import { useSettings } from '../../app/hooks.js';
import { estimateRun, throughputAtMfu } from '../../lib/cost.js';
import { formatCount, formatDuration, formatMoney, formatValue } from '../../lib/format.js';

/**
 * Time and cost of the planned run: GPUs × $/GPU-hour × (tokens ÷ tokens/s). Tokens/s is what earlier
 * runs of this preset on this node measured, or, before any, an assumption the user can see and change.
 */
export function Estimate({
  plan,
  nodeId,
  preset,
  gpus,
}: {
  plan: PlanOk;
  nodeId: string;
  preset: string;
  gpus: number;
}) {
  const api = useApi();
  const settings = useSettings();
  const [measured, setMeasured] = useState<MeasuredThroughput | null>(null);
  const [mfu, setMfu] = useState('40');
  const [peak, setPeak] = useState('989');
  const [priceDraft, setPriceDraft] = useState<string | null>(null);
  const mfuId = useId();
  const peakId = useId();
  const priceId = useId();
  useEffect(() => {
    let live = true;
    api.invoke('history:throughput', { nodeId, preset }).then(
      (m) => live && setMeasured(m),
      () => live && setMeasured(null),
    );
    return () => {
      live = false;
    };
  }, [api, nodeId, preset]);

  const price = settings?.gpuHourPrice[nodeId] ?? null;
  const assumed = gpus > 0 ? throughputAtMfu(plan.flopsPerToken, gpus, Number(peak) * 1e12, Number(mfu) / 100) : null;
  const useMeasured = measured !== null && measured.runs > 0 && measured.tokensPerSec !== null;
  const tps = useMeasured ? measured.tokensPerSec : assumed;
  const est = estimateRun(plan.totalTokens, tps, gpus, gpus === 0 ? 0 : price);
  const savePrice = (): void => {
    if (priceDraft === null) return;
    const v = priceDraft.trim() === '' ? null : Number(priceDraft);
    if (v !== null && (!Number.isFinite(v) || v < 0)) return;
    void api.invoke('settings:setPrice', { nodeId, pricePerGpuHour: v }).then(() => setPriceDraft(null));
  };

  return (
    <section className="estimate" aria-labelledby="est-h" data-testid="estimate">
      <h3 id="est-h">Time and cost</h3>
      <dl className="facts">
        <dt>Throughput</dt>
        <dd data-testid="estimate-throughput">
          {tps ? `${formatCount(tps)} tokens/s` : '—'}
          <span className="muted small">
            {useMeasured
              ? ` measured by ${measured.runs} earlier run${measured.runs > 1 ? 's' : ''} of ${preset} here`
              : gpus > 0
                ? ` assumed: ${mfu}% MFU on ${gpus} GPU${gpus > 1 ? 's' : ''}`
                : ' measured after the first run of this preset here'}
          </span>
        </dd>
        <dt>Wall time</dt>
        <dd data-testid="estimate-time">{formatDuration(est.seconds)}</dd>
        <dt>GPU-hours</dt>
        <dd>{gpus === 0 ? 'none (CPU)' : formatValue(est.gpuHours, 3)}</dd>
        <dt>Cost</dt>
        <dd data-testid="estimate-cost">
          {gpus === 0 ? '$0 (your own CPU)' : price === null ? 'set a price below' : formatMoney(est.dollars)}
        </dd>
      </dl>
      {gpus > 0 && (
        <details className="assumptions">
          <summary>Assumptions</summary>
          <div className="inline-fields">
            <label htmlFor={priceId}>$ per GPU-hour</label>
            <input
              id={priceId}
              inputMode="decimal"
              value={priceDraft ?? (price === null ? '' : String(price))}
              placeholder="e.g. 2.50"
              onChange={(e) => setPriceDraft(e.target.value)}
              onBlur={savePrice}
              onKeyDown={(e) => e.key === 'Enter' && savePrice()}
            />
            {!useMeasured && (
              <>
                <label htmlFor={mfuId}>MFU %</label>
                <input id={mfuId} inputMode="decimal" value={mfu} onChange={(e) => setMfu(e.target.value)} />
                <label htmlFor={peakId}>Peak TFLOP/s per GPU</label>
                <input id={peakId} inputMode="decimal" value={peak} onChange={(e) => setPeak(e.target.value)} />
              </>
            )}
          </div>
          <p className="hint small">
            {useMeasured
              ? 'Throughput comes from earlier runs; the price is saved for this node.'
              : 'H100/H200 bf16 dense peak is 989 TFLOP/s, A100 312. ' +
                'The first run on this node replaces the assumption with a measurement.'}
          </p>
        </details>
      )}
    </section>
  );
}
