import type { Command } from 'commander';
import { WorkbenchError } from '../../contract/errors.js';
import { positiveInt } from '../arg-parsers.js';
import { exportCsv } from '../export.js';
import { commandKit, type CliIo } from '../io.js';

/** `moewb metrics ...`: export a run's metrics as CSV, ingest its metrics stream now. */
export function registerMetricsCommands(program: Command, io: CliIo): void {
  const { withClient } = commandKit(program, io);
  const metrics = program.command('metrics').description('metrics of runs');
  metrics
    .command('export <run>')
    .description('write metrics as CSV: one row per step, one column per series')
    .requiredOption('--csv', 'CSV format (the only one so far)')
    .option('--series <names>', 'comma-separated series (default: all), e.g. train/loss,val/loss')
    .option('--include-archived', 'also points that a resumed attempt superseded')
    .action(
      withClient(async (c, runId: string, o: { series?: string; includeArchived?: boolean }) => {
        const names = o.series
          ? o.series
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : null;
        io.out(await exportCsv(c, runId, names, o.includeArchived ?? false));
      }),
    );
  metrics
    .command('ingest <run>')
    .description("read the run's metrics.jsonl into the database now (from where reading stopped)")
    .option('--watch', 'keep reading until interrupted')
    .option('--from-start', 'read the file from its first line again (after it was replaced); stored points are kept')
    .option('--interval <ms>', 'poll interval with --watch', positiveInt, 250)
    .action(
      withClient(async (c, runId: string, o: { watch?: boolean; interval: number; fromStart?: boolean }) => {
        let stop = false;
        let fromStart = o.fromStart ?? false;
        let waitingFor = '';
        void io.interrupted?.then(() => (stop = true));
        const pause = () => Promise.race([new Promise((res) => setTimeout(res, o.interval)), io.interrupted]);
        do {
          let r;
          try {
            r = await c.call('metrics:ingest', { runId, fromStart });
          } catch (err) {
            // Watching goes on through what passes by itself: a file missing for now, a lock held elsewhere.
            if (!o.watch || !(err instanceof WorkbenchError) || err.code !== 'unavailable') throw err;
            if (err.message !== waitingFor) io.err(`waiting: ${err.message}\n`);
            waitingFor = err.message;
            await pause();
            continue;
          }
          waitingFor = '';
          fromStart = false;
          if (!o.watch || r.lines > 0)
            io.out(
              `${runId}: +${r.lines} lines, +${r.points} points, offset ${r.byteOffset}${r.blocked ? `; STOPPED: ${r.blocked}` : ''}\n`,
            );
          if (r.blocked)
            throw new WorkbenchError({
              code: 'conflict',
              message: r.blocked,
              hint:
                'The file was changed behind the workbench; the points read so far are kept. If the same file ' +
                `comes back, ingesting goes on where it stopped; to read the new one from its first line: ` +
                `\`moewb metrics ingest ${runId} --from-start\`.`,
            });
          if (o.watch && !stop) await pause();
        } while (o.watch && !stop);
      }),
    );
}
