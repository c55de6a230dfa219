import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compiledCli } from '../../test-support/compiled.js';
import { tempDir } from '../../test-support/paths.js';
import { writeStandInTrainer } from '../../test-support/stand-in-trainer.js';
import { LocalNode } from '../nodes/local-node.js';
import { detachCommand, launchScript } from './launch-script.js';
import { observe } from './liveness.js';

const runId = 'r-20261129-0a0b0c';
const node = new LocalNode();
const groups: number[] = [];

afterEach(() => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Polls `check` every 25 ms until it returns a value, or fails after `ms`. */
async function until<T>(what: string, check: () => T | undefined | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const read = (dir: string, file: string): string | undefined =>
  existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : undefined;

function prepare(mode: string): string {
  const base = tempDir('moewb-wrap-');
  const dir = join(base, runId);
  mkdirSync(dir);
  writeFileSync(join(dir, 'launch.sh'), launchScript({ runDir: dir, runId, trainer: writeStandInTrainer(base) }));
  writeFileSync(join(dir, 'run.flags'), '--max-steps=1\n');
  if (mode) writeFileSync(join(dir, 'stand-in.mode'), mode);
  return dir;
}

async function start(dir: string): Promise<number> {
  const r = await node.exec(['sh', '-c', detachCommand(dir)]);
  expect(r.code).toBe(0);
  const wrapper = Number(await until('wrapper.pid', () => read(dir, 'wrapper.pid')));
  groups.push(wrapper);
  return wrapper;
}

describe('the launch wrapper', () => {
  it('runs the trainer as documented and writes its exit code, pids, boot id and attempt', async () => {
    const dir = prepare('exit:3');
    await start(dir);
    expect(await until('exit_code', () => read(dir, 'exit_code'))).toBe('3\n');
    expect(read(dir, 'stand-in.args')).toBe(
      `train --run-dir ${dir} --run-id ${runId} --flags-file ${dir}/run.flags --resume auto\n`,
    );
    expect(read(dir, 'boot_id')?.trim()).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const attempt = JSON.parse(read(dir, 'attempts/1.json')!) as Record<string, unknown>;
    expect(attempt).toMatchObject({ attempt: 1, pid: Number(read(dir, 'trainer.pid')), resume: 'auto' });
    expect(existsSync(join(dir, 'exit_code.tmp'))).toBe(false);
  });

  it('refuses a second launch of the same run while the first holds launch.lock', async () => {
    const dir = prepare('');
    await start(dir);
    const trainerPid = await until('trainer.pid', () => read(dir, 'trainer.pid'));
    await until('heartbeat', () => read(dir, 'heartbeat'));
    const second = await node.exec(['sh', join(dir, 'launch.sh')]);
    expect(second.code).toBe(75);
    expect(read(dir, 'launch.log')).toMatch(/refused: another launch/);
    expect(read(dir, 'trainer.pid')).toBe(trainerPid);
    expect(read(dir, 'exit_code')).toBeUndefined();
    expect((await observe(node, dir, runId)).trainer).toBe('match');
  });

  it('fails to start, with a non-zero status, when the run directory or its wrapper is missing', async () => {
    const dir = prepare('');
    rmSync(join(dir, 'launch.sh'));
    const noWrapper = await node.exec(['sh', '-c', detachCommand(dir)]);
    expect(noWrapper.code).not.toBe(0);
    expect(noWrapper.stderr.toString('utf8')).toMatch(/launch\.sh is missing/);
    rmSync(dir, { recursive: true });
    const noDir = await node.exec(['sh', '-c', detachCommand(dir)]);
    expect(noDir.code).not.toBe(0);
    expect(noDir.stderr.toString('utf8')).toMatch(/can't cd|No such file/);
  });

  it('forwards SIGTERM to the trainer and records its exit code', async () => {
    const dir = prepare('');
    const wrapper = await start(dir);
    await until('heartbeat', () => read(dir, 'heartbeat'));
    process.kill(wrapper, 'SIGTERM');
    expect(await until('exit_code', () => read(dir, 'exit_code'))).toBe('0\n');
    expect((await observe(node, dir, runId)).trainer).toBe('dead');
  });

  it('keeps the trainer alive when the process that launched it is killed', async () => {
    const dir = prepare('');
    // A separate workbench-like process starts the run, then is killed -9 while still running.
    const launcherSource = `
      import { LocalNode } from ${JSON.stringify(join(compiledCli(), '..', '..', 'services', 'nodes', 'local-node.js'))};
      const r = await new LocalNode().exec(['sh', '-c', process.argv[2]]);
      process.stdout.write('started ' + r.code + '\\n');
      setInterval(() => {}, 1000);
    `;
    const launcherFile = join(dir, '..', 'launcher.mjs');
    writeFileSync(launcherFile, launcherSource);
    const launcher = spawn(process.execPath, [launcherFile, detachCommand(dir)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((r) => launcher.stdout.once('data', r));
    groups.push(Number(await until('wrapper.pid', () => read(dir, 'wrapper.pid'))));
    const first = JSON.parse(await until('heartbeat', () => read(dir, 'heartbeat'))) as { time: number };
    launcher.kill('SIGKILL');
    await new Promise((r) => launcher.once('exit', r));
    // The heartbeat keeps advancing after the launcher's death.
    await until('a later heartbeat', () => {
      const now = read(dir, 'heartbeat');
      return now !== undefined && (JSON.parse(now) as { time: number }).time > first.time + 1;
    });
    expect((await observe(node, dir, runId)).trainer).toBe('match');
  });
});
