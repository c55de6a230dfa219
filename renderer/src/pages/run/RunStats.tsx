import { useEffect, useState } from 'react';
import type { HistoryRun } from '../../../../electron/contract/history.js';
import type { RunDetail } from '../../../../electron/contract/runs.js';
import { useApi } from '../../app/api-context.js';
import { useNow, useSettings } from '../../app/hooks.js';
import { Stat, StatRow } from '../../components/Stat.js';
import { isLive } from '../../components/StateBadge.js';
import { etaSeconds } from '../../lib/cost.js';
import {
  formatCount,
  formatDuration,
  formatInteger,
  formatMoney,
  formatPercent,
  formatValue,
} from '../../lib/format.js';

/** Planned steps of a run as the trainer resolves its configuration (asked once per run). */
function usePlannedSteps(detail: RunDetail | null, worldSize: number): number | null {
  const api = useApi();
  const [steps, setSteps] = useState<number | null>(null);
  const preset = detail?.preset ?? null;
  const overrides = JSON.stringify(detail?.overrides ?? {});
  useEffect(() => {
    if (!preset) return;
    let live = true;
    api
      .invoke('config:plan', {
        preset,
        overrides: JSON.parse(overrides) as Record<string, string>,
        worldSize,
        curvePoints: 2,
      })
      .then(
        (p) => live && setSteps(p.ok ? p.totalSteps : null),
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [api, preset, overrides, worldSize]);
  return steps;
}

/** The numbers at the top of a run: progress, loss, speed, time left and what it has cost so far. */
export function RunStats({ detail, facts }: { detail: RunDetail; facts: HistoryRun | null }) {
  const settings = useSettings();
  const now = useNow(5000);
  const gpus = facts?.device === 'cuda' ? (facts.worldSize ?? 1) : 0;
  const planned = usePlannedSteps(detail, facts?.worldSize ?? 1);
  const step =
    Math.max(detail.lastStep ?? -1, facts?.lastStep ?? -1) < 0
      ? null
      : Math.max(detail.lastStep ?? -1, facts?.lastStep ?? -1);
  const tps = facts?.tokensPerSec ?? null;
  const tokensPerStep = facts?.tokens && step ? facts.tokens / step : null;
  const stepsPerSec = tps && tokensPerStep ? tps / tokensPerStep : null;
  const live = isLive(detail.state);
  const eta = live ? etaSeconds(step, planned, stepsPerSec) : null;
  const elapsed = facts?.elapsed ?? (detail.startedAt ? (detail.endedAt ?? now) - detail.startedAt : null);
  const gpuHours = elapsed !== null ? (elapsed / 3600) * gpus : null;
  const price = settings?.gpuHourPrice[detail.nodeId] ?? null;
  return (
    <StatRow label="Run summary">
      <Stat
        label="Step"
        testId="stat-step"
        value={step === null ? '—' : formatInteger(step)}
        detail={planned ? `of ${formatInteger(planned)} (${formatPercent((step ?? 0) / planned, 2)})` : undefined}
      />
      <Stat label="Tokens" value={formatCount(facts?.tokens ?? null)} />
      <Stat
        label="Loss"
        testId="stat-loss"
        value={formatValue(facts?.lastLoss ?? null)}
        detail={
          facts?.lastValLoss !== null && facts?.lastValLoss !== undefined
            ? `val ${formatValue(facts.lastValLoss)}`
            : undefined
        }
      />
      <Stat label="Tokens/s" value={formatCount(tps)} />
      <Stat
        label={live ? 'Time left' : 'Trained for'}
        value={live ? formatDuration(eta) : formatDuration(elapsed)}
        detail={live ? `running ${formatDuration(elapsed)}` : undefined}
      />
      <Stat
        label={gpus ? 'GPU-hours' : 'Compute'}
        value={gpus ? formatValue(gpuHours, 3) : facts?.device ? facts.device.toUpperCase() : '—'}
        detail={gpus ? `${gpus} GPU${gpus > 1 ? 's' : ''}` : 'no GPU time'}
      />
      <Stat
        label="Cost so far"
        value={gpus === 0 ? '$0' : price === null ? '—' : formatMoney((gpuHours ?? 0) * price)}
        detail={gpus && price === null ? 'set a $/GPU-hour on the node' : undefined}
      />
    </StatRow>
  );
}
