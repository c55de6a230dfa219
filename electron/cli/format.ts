import type { Deployment } from '../contract/deploy.js';
import { escapeControls } from '../contract/display-text.js';
import type { NodeProfile, NodeReport } from '../contract/nodes.js';
import type { RunDetail, RunSummary } from '../contract/runs.js';

const time = (t: number | null): string =>
  t === null ? '-' : new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19);

/** A number with fixed decimals, `-` for none. */
export const decimals = (v: number | null, digits = 4): string => (v === null ? '-' : v.toFixed(digits));

/** Left-aligned columns with a header row. */
export function table(header: string[], raw: string[][]): string {
  // Cells are measured as they will be shown: control characters as escapes, on one line.
  const rows = raw.map((r) => r.map((c) => escapeControls(c, true)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `nodes list`. */
export function nodesTable(nodes: NodeProfile[]): string {
  return table(
    ['ID', 'NAME', 'KIND', 'ADDRESS', 'PYTHON'],
    nodes.map((n) => [
      n.id,
      n.name,
      n.kind,
      n.kind === 'local'
        ? '-'
        : `${n.user ? `${n.user}@` : ''}${n.host ?? ''}${n.port ? `:${n.port}` : ''}${n.proxyJump ? ` via ${n.proxyJump}` : ''}`,
      n.python ?? '-',
    ]),
  );
}

/** `nodes test`. */
export function nodeReport(r: NodeReport): string {
  const gpus = r.gpus.length
    ? r.gpus.map((g) => `${g.name} (${g.memoryMiB ?? '?'} MiB, driver ${g.driver ?? '?'})`).join('; ')
    : 'none';
  const torch = r.python?.torch
    ? `torch ${r.python.torch.version}${r.python.torch.cuda ? ` (CUDA ${r.python.torch.cuda})` : ' (CPU)'}`
    : 'no torch';
  const lines = [
    `host:    ${r.hostname} — ${r.os}, kernel ${r.kernel}, ${r.arch}`,
    `cpus:    ${r.cpuCount ?? '?'}, memory ${r.memoryBytes ? `${(r.memoryBytes / 2 ** 30).toFixed(1)} GiB` : '?'}`,
    `gpus:    ${gpus}`,
    `python:  ${r.python ? `${r.python.path} ${r.python.version}, ${torch}` : 'not found'}`,
    `cmake:   ${r.tools.cmake ?? 'missing'}`,
    `g++:     ${r.tools.gxx ?? 'missing'}`,
    `nvcc:    ${r.tools.nvcc ?? 'missing'}`,
    ...r.warnings.map((w) => `warning: ${w}`),
  ];
  return lines.join('\n') + '\n';
}

/** `runs list`. */
export function runsTable(runs: RunSummary[]): string {
  return table(
    ['ID', 'NAME', 'NODE', 'STATE', 'STEP', 'CREATED'],
    runs.map((r) => [
      r.id,
      r.name,
      r.nodeId,
      r.state,
      r.lastStep === null ? '-' : String(r.lastStep),
      time(r.createdAt),
    ]),
  );
}

/** `runs show`. */
export function runDetail(r: RunDetail): string {
  const lines = [
    `run:         ${r.id} — ${r.name}`,
    `state:       ${r.state}${r.stateMessage ? ` (${r.stateMessage})` : ''}`,
    `node:        ${r.nodeId}   dir: ${r.remoteDir}`,
    `preset:      ${r.preset ?? '-'}   overrides: ${
      Object.entries(r.overrides)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '-'
    }`,
    `created:     ${time(r.createdAt)}   started: ${time(r.startedAt)}   ended: ${time(r.endedAt)}`,
    `step:        ${r.lastStep ?? '-'}   attempt: ${r.attempt}   exit code: ${r.exitCode ?? '-'}   heartbeat: ${time(r.lastHeartbeat)}`,
    `tags:        ${r.tags.join(', ') || '-'}`,
    `metrics:     ${r.ingest.lines} lines, ${r.ingest.byteOffset} bytes read, ${r.ingest.errorCount} malformed` +
      (r.ingest.blocked ? `; STOPPED: ${r.ingest.blocked}` : ''),
  ];
  if (r.notes) lines.push(`notes:       ${r.notes}`);
  for (const a of r.attempts) {
    lines.push(
      `attempt ${a.attempt}:   ${a.resumeStep ? `resumed at step ${a.resumeStep}` : 'fresh start'}, ` +
        `${a.state ?? 'no status'}${a.message ? ` (${a.message})` : ''}, exit ${a.exitCode ?? '-'}`,
    );
  }
  for (const c of r.checkpoints) {
    lines.push(
      (
        `checkpoint:  step ${c.step}  ${c.path}  ${c.bytes ?? '?'} bytes  loss ${c.loss ?? '-'}  ` +
        `${c.reason ?? ''} ${c.status === 'complete' ? '' : c.status}`
      ).trimEnd(),
    );
  }
  return lines.join('\n') + '\n';
}

/** `deploy`. */
export function deploymentLine(d: Deployment): string {
  const what =
    d.uploaded || d.built
      ? `${d.uploaded ? 'uploaded' : 'sources present'}, ${d.built ? 'built' : 'already built'}`
      : 'already up to date (nothing uploaded or built)';
  return (
    `deployment ${d.id} on ${d.nodeId}: ${d.status}, ${what}; ` +
    `trainer ${d.facts?.moetrain ?? '?'} with LibTorch ${d.facts?.libtorch ?? '?'} in ${d.remoteDir}\n`
  );
}
