import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { listBackups } from '../../services/db/backups.js';
import { inspectDatabaseFiles } from '../../services/db/db-files.js';
import { backupNow, checkDatabase, reportError } from '../../services/db/maintenance.js';
import { replayWal, restoreBackup } from '../../services/db/restore.js';
import { ServiceError } from '../../services/errors.js';
import { table } from '../format.js';
import { commandKit, type CliIo, type GlobalOptions } from '../io.js';

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const when = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** The backup named on the command line: a path, or a file name next to the database. */
function resolveBackup(path: string, ref: string): string {
  if (isAbsolute(ref) || ref.includes('/')) return ref;
  return join(dirname(path), ref);
}

/** `moewb db ...`: check the workbench database, back it up, restore a backup. Works on a damaged file. */
export function registerDbCommands(program: Command, io: CliIo): void {
  const { json } = commandKit(program, io);
  const dbPath = (): string => join(program.opts<GlobalOptions>().dataDir, 'workbench.db');
  const db = program
    .command('db')
    .description('the workbench database: check it, back it up, restore a backup (works with the app open)');

  db.command('check')
    .description("SQLite's full integrity and foreign-key checks, the write-ahead log, the schema version")
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const path = dbPath();
      if (!existsSync(path)) {
        io.out(`There is no workbench database at ${path} yet; the first command that needs it creates it.\n`);
        return;
      }
      const r = checkDatabase(path);
      if (o.json) json(r);
      else if (r.ok) {
        const newest = r.backups[0];
        io.out(
          `ok: ${path} (schema version ${r.schemaVersion}, ${r.runs} runs, ${mb(r.bytes)})\n` +
            (newest
              ? `newest backup: ${basename(newest.path)} (${when(newest.takenAt)}), ${r.backups.length} in all\n`
              : 'no backup yet: `moewb db backup` takes one\n'),
        );
      }
      if (!r.ok) throw reportError(r);
    });

  db.command('backup')
    .description('copy the database now (VACUUM INTO, mode 0600) next to it; kept until you delete it')
    .action(() => {
      io.out(`${backupNow(dbPath())}\n`);
    });

  db.command('restore [backup]')
    .description('without an argument, list the backups; with one (a file name from that list), put it in place')
    .option('--json', 'print JSON (the list)')
    .option(
      '--replay-wal',
      'instead of a backup, keep the database as SQLite reads it: its WAL up to the damaged frame (the commits after it are lost)',
    )
    .action((ref: string | undefined, o: { json?: boolean; replayWal?: boolean }) => {
      const path = dbPath();
      const walDamaged = inspectDatabaseFiles(path).some((p) => p.file === `${path}-wal`);
      if (o.replayWal) {
        if (ref !== undefined) throw new ServiceError('invalid_request', 'Give a backup or --replay-wal, not both.');
        const r = replayWal(path);
        io.out(
          `${path} now holds what SQLite could read: the main file and its WAL up to the damaged frame\n` +
            r.setAside.map((f) => `the previous file is kept as ${f}\n`).join(''),
        );
        return;
      }
      if (ref === undefined) {
        const backups = listBackups(path);
        if (o.json) return json(backups);
        const replay = walDamaged
          ? `Or keep the database up to its damaged WAL frame: moewb --data-dir ${dirname(path)} db restore --replay-wal\n`
          : '';
        if (backups.length === 0) {
          io.out(
            `There are no backups of ${path} (workbench.db.backup-*) in ${dirname(path)}.\n` +
              replay +
              `To salvage what SQLite can still read of a damaged file: sqlite3 ${path} .recover > recovered.sql\n`,
          );
          return;
        }
        io.out(
          table(
            ['BACKUP', 'KIND', 'SCHEMA', 'SIZE', 'TAKEN'],
            backups.map((b) => [basename(b.path), b.kind, `v${b.version}`, mb(b.bytes), when(b.takenAt)]),
          ) +
            `To put one in place (newest first above): moewb --data-dir ${dirname(path)} db restore <BACKUP>\n` +
            replay +
            'The current file is renamed to workbench.db.replaced-<time>, not deleted.\n',
        );
        return;
      }
      const r = restoreBackup(path, resolveBackup(path, ref));
      io.out(
        `restored ${r.restored} -> ${path}\n` +
          r.setAside.map((f) => `the previous file is kept as ${f}\n`).join('') +
          'Runs launched after the backup was taken are not in it; the metrics of runs it holds are read on from ' +
          'where the backup left off (`moewb metrics ingest <run>`).\n',
      );
    });
}
