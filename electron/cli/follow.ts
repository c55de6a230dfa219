import type { MetricsAppended } from '../contract/metrics.js';
import { isFinalState, type RunSummary } from '../contract/runs.js';
import type { CliClient } from './client.js';
import type { CliIo } from './io.js';

function stepLine(m: MetricsAppended): string | null {
  if (m.toStep === null) return null;
  const show = ['train/loss', 'train/lm_loss', 'train/lr', 'train/tokens_per_s', 'val/loss'];
  const label = (s: string): string => (s.startsWith('train/') ? s.slice(6) : s.replace('/', '_'));
  const parts = show.filter((s) => m.latest[s]).map((s) => `${label(s)}=${formatValue(m.latest[s]!.value)}`);
  return `step ${m.toStep}  ${parts.join('  ')}\n`;
}

function formatValue(v: number | null): string {
  if (v === null) return 'nan';
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toPrecision(3) : v.toFixed(4);
}

/** Watches one run and prints its progress until it is final (or the user interrupts). */
export async function follow(c: CliClient, io: CliIo, runId: string): Promise<void> {
  let last: RunSummary | null = null;
  const done = new Promise<RunSummary>((resolve) => {
    c.on('runs:changed', ({ run }) => {
      if (run.id !== runId) return;
      if (last?.state !== run.state)
        io.out(`${run.id}: ${run.state}${run.stateMessage ? ` (${run.stateMessage})` : ''}\n`);
      last = run;
      if (isFinalState(run.state)) resolve(run);
    });
  });
  c.on('metrics:appended', (m) => {
    if (m.runId !== runId) return;
    const line = stepLine(m);
    if (line) io.out(line);
  });
  const first = await c.call('runs:refresh', { runId });
  if (isFinalState(first.state)) {
    io.out(`${first.id}: ${first.state}${first.stateMessage ? ` (${first.stateMessage})` : ''}\n`);
    return;
  }
  // Keep refreshing: the monitor watches the run between refreshes and publishes what it reads.
  let stop = false;
  void io.interrupted?.then(() => (stop = true));
  const ended = done.then(() => (stop = true));
  while (!stop) {
    await Promise.race([new Promise((r) => setTimeout(r, 250)), ended, io.interrupted]);
    if (!stop) await c.call('runs:refresh', { runId });
  }
  const final = await Promise.race([done, Promise.resolve(null)]);
  if (final && final.state === 'failed') process.exitCode = 1;
}
