import type { DeployProgress } from '../../../../electron/contract/deploy.js';

const order = ['hash', 'check', 'upload', 'build', 'verify', 'done'] as const;

/** Overall progress of a deploy in [0, 1], from its phase and the detail of that phase. */
export function deployFraction(p: DeployProgress): number {
  if (p.phase === 'done') return 1;
  if (p.phase === 'failed') return 0;
  const i = order.indexOf(p.phase);
  // Weights: building dominates; uploading is next.
  const weights = [0.02, 0.03, 0.15, 0.75, 0.05];
  const before = weights.slice(0, i).reduce((a, b) => a + b, 0);
  let within = 0;
  if (p.phase === 'upload' && p.total) within = (p.transferred ?? 0) / p.total;
  if (p.phase === 'build') {
    const m = /compile: (\d+)%/.exec(p.message);
    if (m) within = Number(m[1]) / 100;
  }
  return Math.min(1, before + (weights[i] ?? 0) * within);
}

/** A phase name as people read it. */
export function phaseLabel(phase: DeployProgress['phase']): string {
  return (
    {
      hash: 'Hashing sources',
      check: 'Checking the node',
      upload: 'Uploading sources',
      build: 'Building the trainer',
      verify: 'Verifying the binary',
      done: 'Ready',
      failed: 'Failed',
    } as const
  )[phase];
}
