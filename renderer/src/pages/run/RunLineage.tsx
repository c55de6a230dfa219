import { useEffect, useState } from 'react';
import type { RunDetail } from '../../../../electron/contract/runs.js';
import { useApi } from '../../app/api-context.js';
import { useRuns } from '../../app/hooks.js';
import { Link } from '../../app/router.js';
import { LineageBadge } from '../../components/LineageBadge.js';
import { lineageOf } from '../../lib/anneal.js';
import { formatInteger } from '../../lib/format.js';
import { shownName } from '../../lib/shown.js';

/** Where a run came from (its parent run and checkpoint), its attempts when resumed, and the runs forked from it. */
export function RunLineage({ detail }: { detail: RunDetail }) {
  const api = useApi();
  const { runs } = useRuns();
  const [parent, setParent] = useState<{ name: string; step: number | null } | null>(null);
  const parentId = detail.parentRunId;
  const parentCkpt = detail.parentCheckpointId;
  useEffect(() => {
    setParent(null);
    if (!parentId) return;
    api.invoke('runs:get', { runId: parentId }).then(
      (p) => setParent({ name: p.name, step: p.checkpoints.find((c) => c.id === parentCkpt)?.step ?? null }),
      () => setParent(null),
    );
  }, [api, parentId, parentCkpt]);
  const children = (runs ?? []).filter((r) => r.parentRunId === detail.id);
  const resumed = detail.attempts.filter((a) => a.resumeStep !== null);
  if (!parentId && !children.length && !resumed.length) return null;
  return (
    <section className="lineage-bar" aria-label="Lineage">
      {parentId && <LineageBadge run={detail} parentName={parent?.name} parentStep={parent?.step} />}
      {resumed.length > 0 && (
        <span>
          <span className="muted">Attempts:</span>{' '}
          {detail.attempts.map((a, i) => (
            <span key={a.attempt}>
              {i > 0 ? ' → ' : ''}
              <strong>{a.attempt}</strong>{' '}
              <span className="muted">
                {a.resumeStep !== null ? `resumed at step ${formatInteger(a.resumeStep)}` : 'fresh start'}
              </span>
            </span>
          ))}
        </span>
      )}
      {children.length > 0 && (
        <span>
          <span className="muted">Continued by:</span>{' '}
          {children.map((c, i) => (
            <span key={c.id}>
              {i > 0 ? ', ' : ''}
              <Link to={`/runs/${encodeURIComponent(c.id)}`}>{shownName(c.name)}</Link>{' '}
              <span className="muted small">({lineageOf(c).kind})</span>
            </span>
          ))}
        </span>
      )}
    </section>
  );
}
