import type { Command } from 'commander';
import type { CheckpointInfo } from '../../contract/checkpoints.js';
import { decimals } from '../format.js';
import { commandKit, type CliIo } from '../io.js';
import { checkpointId } from '../refs.js';

function size(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** The ledger as a table. */
export function checkpointsTable(rows: CheckpointInfo[]): string {
  const lines = rows.map((c) =>
    [
      String(c.id).padEnd(5),
      String(c.step).padStart(8),
      String(c.tokens ?? '-').padStart(12),
      size(c.bytes).padStart(9),
      String(c.attempt).padStart(3),
      decimals(c.loss).padStart(8),
      decimals(c.valLoss).padStart(8),
      (c.status + (c.newest ? '*' : '')).padEnd(9),
      (c.reason ?? '-').padEnd(8),
      c.keptReasons.join(',') || '-',
      c.downloadedPath ?? '',
    ]
      .join('  ')
      .trimEnd(),
  );
  const head = [
    'id'.padEnd(5),
    'step'.padStart(8),
    'tokens'.padStart(12),
    'size'.padStart(9),
    'att',
    'loss'.padStart(8),
    'val'.padStart(8),
    'status'.padEnd(9),
    'reason'.padEnd(8),
    'kept',
    'local copy',
  ].join('  ');
  return [head, ...lines].join('\n') + '\n' + (rows.some((c) => c.newest) ? '(* = newest complete)\n' : '');
}

/** `moewb checkpoints ...`: list, verify, delete and download the checkpoints of runs. */
export function registerCheckpointCommands(program: Command, io: CliIo): void {
  const { withClient, json } = commandKit(program, io);
  const ck = program.command('checkpoints').description('checkpoints of runs: list, verify, delete, download');
  ck.command('list <run>')
    .description("the run's checkpoint ledger")
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, runId: string, o: { json?: boolean }) => {
        const rows = await c.call('checkpoints:list', { runId });
        if (o.json) json(rows);
        else io.out(checkpointsTable(rows));
      }),
    );
  ck.command('verify <checkpoint>')
    .description('check sizes and SHA-1 of its files against the MANIFEST on the node (id or RUN@STEP)')
    .option('--json', 'print JSON')
    .action(
      withClient(async (c, ref: string, o: { json?: boolean }) => {
        const r = await c.call('checkpoints:verify', { checkpointId: await checkpointId(c, ref) });
        if (o.json) json(r);
        else
          io.out(
            `${r.ok ? 'ok' : r.checkpoint.status === 'deleted' ? 'NOT FOUND' : 'CORRUPT'}: ${r.message}\n` +
              r.files
                .map((f) => `  ${f.ok ? 'ok ' : 'BAD'} ${f.name} ${f.actualBytes ?? 'missing'}/${f.bytes} bytes\n`)
                .join(''),
          );
        if (!r.ok) process.exitCode = 1;
      }),
    );
  ck.command('delete <checkpoint>')
    .description('remove it from the node (refused for the newest complete checkpoint of a running run)')
    .action(
      withClient(async (c, ref: string) => {
        const r = await c.call('checkpoints:delete', { checkpointId: await checkpointId(c, ref) });
        io.out(`deleted step ${r.step} of ${r.runId} (${r.remotePath})\n`);
      }),
    );
  ck.command('download <checkpoint>')
    .description('copy it to this machine, verifying every file against the MANIFEST')
    .option('--dest <dir>', 'folder to create (default: <data dir>/checkpoints/<run>/step-N)')
    .action(
      withClient(async (c, ref: string, o: { dest?: string }) => {
        const id = await checkpointId(c, ref);
        let lastFile = '';
        const off = c.on('checkpoints:progress', (p) => {
          if (p.checkpointId !== id || p.operation !== 'download' || p.file === lastFile) return;
          if (p.file) io.out(`[${p.phase}] ${p.message}\n`);
          lastFile = p.file ?? '';
        });
        try {
          const r = await c.call('checkpoints:download', { checkpointId: id, ...(o.dest ? { dest: o.dest } : {}) });
          io.out(
            `downloaded step ${r.checkpoint.step} of ${r.checkpoint.runId}: ` +
              `${r.files} files, ${size(r.bytes)} verified -> ${r.localPath}\n`,
          );
        } finally {
          off();
        }
      }),
    );
}
