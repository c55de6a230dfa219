import type { MemoryPlan, PlanIssue, PlanOk } from '../../../../electron/contract/config.js';
import { formatBytes, formatCount, formatFlops, formatInteger } from '../../lib/format.js';

const memoryParts: [Exclude<keyof MemoryPlan, 'device' | 'paramDtype' | 'total'>, string][] = [
  ['weights', 'weights'],
  ['masterWeights', 'fp32 master weights'],
  ['grads', 'gradients'],
  ['optimizer', 'AdamW state'],
  ['activations', 'activations'],
  ['logits', 'logits'],
  ['runtime', 'runtime'],
];

/** Model size, compute and memory as the trainer computed them for the current configuration. */
export function PlanFigures({ plan }: { plan: PlanOk }) {
  const m = plan.memory;
  return (
    <section aria-labelledby="size-h" data-testid="plan-figures">
      <h3 id="size-h">Model</h3>
      <dl className="facts">
        <dt>Parameters</dt>
        <dd data-testid="params-total" title={formatInteger(plan.params.total)}>
          {formatCount(plan.params.total)}
        </dd>
        <dt>Active per token</dt>
        <dd data-testid="params-active" title={formatInteger(plan.params.active)}>
          {formatCount(plan.params.active)}{' '}
          <span className="muted small">
            ({formatCount(plan.params.activeWithEmbedding)} with the output projection)
          </span>
        </dd>
        <dt>Training FLOPs per token</dt>
        <dd data-testid="flops-per-token">{formatFlops(plan.flopsPerToken)}</dd>
        {plan.totalFlops !== null && (
          <>
            <dt>Compute for the run</dt>
            <dd>{formatFlops(plan.totalFlops)}</dd>
          </>
        )}
        <dt>Run length</dt>
        <dd data-testid="run-length">
          {plan.totalSteps !== null ? `${formatInteger(plan.totalSteps)} steps` : '—'}
          {plan.tokensPerStep !== null && ` × ${formatCount(plan.tokensPerStep)} tokens`}
          {plan.totalTokens !== null && ` = ${formatCount(plan.totalTokens)} tokens`}
        </dd>
      </dl>
      {m ? (
        <>
          <h3>
            Memory per {m.device === 'cuda' ? 'GPU' : 'process'} <span className="muted small">({m.paramDtype})</span>
          </h3>
          <p className="big-number" data-testid="memory-total">
            {formatBytes(m.total)}
          </p>
          <div className="membar" role="img" aria-label="Memory breakdown">
            {memoryParts.map(([k]) => {
              const v = m[k];
              return v > 0 ? <span key={k} className={`membar-${k}`} style={{ flexGrow: v }} /> : null;
            })}
          </div>
          <ul className="legend">
            {memoryParts.map(([k, label]) => {
              const v = m[k];
              return v > 0 ? (
                <li key={k}>
                  <span className={`swatch membar-${k}`} aria-hidden="true" /> {label} {formatBytes(v)}
                </li>
              ) : null;
            })}
          </ul>
        </>
      ) : (
        <p className="hint small">
          This trainer build reports no memory estimate or schedule curve (it predates `moetrain plan`).
        </p>
      )}
    </section>
  );
}

/** Problems that are not about one field on screen. */
export function Issues({ issues }: { issues: PlanIssue[] }) {
  if (!issues.length) return null;
  return (
    <div className="notice notice-error" role="alert" data-testid="plan-errors">
      <p className="notice-title">The trainer refuses this configuration</p>
      <ul>
        {issues.map((e, i) => (
          <li key={i}>
            {e.flag && <code>--{e.flag}</code>} {e.message}
            {e.hint ? <span className="muted"> — {e.hint}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
