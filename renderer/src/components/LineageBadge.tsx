import type { RunSummary } from '../../../electron/contract/runs.js';
import { Link } from '../app/router.js';
import { lineageOf } from '../lib/anneal.js';
import { shownName } from '../lib/shown.js';

/** "Forked from" / "Annealed from" with a link to the parent run; nothing for a fresh launch. */
export function LineageBadge({
  run,
  parentName,
  parentStep,
}: {
  run: Pick<RunSummary, 'parentRunId' | 'parentCheckpointId' | 'overrides'>;
  parentName?: string | undefined;
  parentStep?: number | null | undefined;
}) {
  const l = lineageOf(run);
  if (l.kind === 'launched') return null;
  return (
    <span className="lineage" data-lineage={l.kind}>
      <span className={`badge badge-lineage badge-${l.kind}`}>
        {l.kind === 'annealed' ? 'annealed from' : 'forked from'}
      </span>{' '}
      <Link
        to={`/runs/${encodeURIComponent(l.parentRunId)}/checkpoints`}
        aria-label={`Parent run ${parentName ?? l.parentRunId}`}
      >
        {shownName(parentName ?? l.parentRunId)}
      </Link>
      {parentStep !== undefined && parentStep !== null ? <span className="muted"> at step {parentStep}</span> : null}
    </span>
  );
}
