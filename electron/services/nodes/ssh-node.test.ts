import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceError } from '../errors.js';
import { ExecError } from '../ssh/exec.js';
import { SshPool } from '../ssh/pool.js';
import { tempDir } from '../../test-support/paths.js';
import { listProcesses, waitFor } from '../../test-support/processes.js';
import { clientSide, sshdFor, type SshClientSide } from '../../test-support/ssh-fixture.js';
import type { TestSshd } from '../../test-support/sshd.js';
import { parseStatOutput, SshNode } from './ssh-node.js';

let client: SshClientSide;
let sshd: TestSshd;
let pool: SshPool;
let node: SshNode;
let remoteDir: string;

beforeAll(async () => {
  client = clientSide();
  sshd = await sshdFor(client);
  await client.trust(sshd);
  pool = new SshPool({ hostKeys: client.hostKeys }, { idleCloseMs: 0 });
  node = await SshNode.open('gpu1', client.target(sshd), pool);
  // The "remote" is this machine, so the test can check files directly.
  remoteDir = tempDir('moewb-remote-');
});

afterAll(async () => {
  await node?.close();
  await pool?.closeAll();
  await sshd?.stop();
});

/** Processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  return listProcesses()
    .map((p) => p.pid)
    .filter((pid) => {
      try {
        return pid !== process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
}

// A remote loop that writes every 50 ms: once the channel is closed its next write fails (SIGPIPE).
// (sshd also gets a TERM signal request, but refuses it for root logins, which have no privilege
// separation; so as root only the closed channel stops the command.)
function chatty(marker: string): string[] {
  return ['sh', '-c', 'while :; do echo tick; sleep 0.05; done', marker];
}

describe('SshNode exec', () => {
  it('runs an argument vector, streams output, feeds stdin and reports the exit code', async () => {
    const chunks: string[] = [];
    const res = await node.exec(['sh', '-c', 'cat; echo "$1" >&2; exit 7', 'sh', 'arg with spaces'], {
      stdin: 'from stdin\n',
      onStdout: (c) => chunks.push(c.toString()),
    });
    expect(res.code).toBe(7);
    expect(res.signal).toBeNull();
    expect(res.stdout.toString()).toBe('from stdin\n');
    expect(chunks.join('')).toBe('from stdin\n');
    expect(res.stderr.toString()).toBe('arg with spaces\n');
    expect(node.kind).toBe('ssh');
    expect(node.connectionState()).toBe('ready');
  });

  it('round-trips random strings byte-exact through the remote shell (printf %s)', async () => {
    const tricky = fc.constantFrom(
      "'",
      '"',
      '$',
      '`',
      '\\',
      '\n',
      '\r',
      '\t',
      ' ',
      ';',
      '|',
      '&',
      '*',
      '?',
      '(',
      ')',
      '{',
      '}',
      '!',
      '#',
      '~',
      '-',
      '$(id)',
      "'\\''",
      'é',
      '✓',
      '😀',
      '\u202e',
    );
    const arg = fc
      .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), tricky), { maxLength: 10 })
      .map((p) => p.join('').replace(/\0/g, ''));
    await fc.assert(
      fc.asyncProperty(arg, async (s) => {
        const res = await node.exec(['printf', '%s', s]);
        return res.code === 0 && res.stdout.equals(Buffer.from(s, 'utf8'));
      }),
      { numRuns: 40 },
    );
    await expect(node.exec(['printf', '%s', 'a\0b'])).rejects.toThrow(/NUL/);
  });

  it('a timeout rejects with reason timeout and closes the channel, which stops the remote command', async () => {
    const marker = `moewb-timeout-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    const err = await node.exec(chatty(marker), { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).reason).toBe('timeout');
    expect((err as ExecError).message).toContain('timed out after 500 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    await waitFor(() => processesWith(marker).length === 0, 'the remote command to end');
  });

  it('an abort signal rejects with reason aborted and stops the remote command', async () => {
    const marker = `moewb-abort-${randomBytes(4).toString('hex')}`;
    const ac = new AbortController();
    const running = node.exec(chatty(marker), { signal: ac.signal });
    await waitFor(() => processesWith(marker).length > 0, 'the remote command to start');
    ac.abort();
    await expect(running).rejects.toMatchObject({ reason: 'aborted' });
    await waitFor(() => processesWith(marker).length === 0, 'the remote command to end');
    // The connection is still fine.
    expect((await node.exec(['echo', 'still here'])).stdout.toString()).toBe('still here\n');
  });
});

describe('SshNode files over SFTP', () => {
  it('knows the home directory', async () => {
    expect(await node.homeDir()).toBe(userInfo().homedir);
  });

  it('reads byte ranges at offsets, across SFTP read limits and past the end', async () => {
    const data = randomBytes(600_000);
    const path = join(remoteDir, 'range.bin');
    writeFileSync(path, data);
    expect((await node.readRange(path, 0, 10)).equals(data.subarray(0, 10))).toBe(true);
    expect((await node.readRange(path, 12_345, 1000)).equals(data.subarray(12_345, 13_345))).toBe(true);
    expect((await node.readRange(path, 1000, 500_000)).equals(data.subarray(1000, 501_000))).toBe(true);
    expect((await node.readRange(path, data.length - 10, 100)).equals(data.subarray(data.length - 10))).toBe(true);
    expect((await node.readRange(path, data.length + 5, 100)).length).toBe(0);
    expect((await node.readRange(path, 5, 0)).length).toBe(0);
    expect((await node.readFile(path)).equals(data)).toBe(true);
    await expect(node.readFile(join(remoteDir, 'missing'))).rejects.toMatchObject({ code: 'not_found' });
  });

  it('writes atomically over an existing file, creating parents, with the mode asked for', async () => {
    const path = join(remoteDir, 'a', 'b', 'run.json');
    await node.writeFileAtomic(path, '{"v":1}', 0o640);
    expect(readFileSync(path, 'utf8')).toBe('{"v":1}');
    const firstIno = statSync(path).ino;
    await node.writeFileAtomic(path, Buffer.from('{"v":2}'), 0o600);
    expect(readFileSync(path, 'utf8')).toBe('{"v":2}');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).ino).not.toBe(firstIno); // replaced by rename, not rewritten in place
    expect(await node.list(join(remoteDir, 'a', 'b'))).toEqual(['run.json']); // no temporary files left
  });

  it('stats with inode numbers (and null for a missing path), noticing a replaced file', async () => {
    const path = join(remoteDir, 'metrics.jsonl');
    writeFileSync(path, 'line\n');
    const st = await node.stat(path);
    const local = statSync(path);
    expect(st).toEqual({
      ino: local.ino,
      size: 5,
      mtimeMs: Math.floor(local.mtimeMs / 1000) * 1000,
      isDirectory: false,
    });
    expect((await node.stat(remoteDir))?.isDirectory).toBe(true);
    expect(await node.stat(join(remoteDir, 'nope'))).toBeNull();
    await node.writeFileAtomic(path, 'line\n');
    expect((await node.stat(path))?.ino).toBe(statSync(path).ino);
    expect((await node.stat(path))?.ino).not.toBe(local.ino);
    expect(parseStatOutput('  File: x\n')).toBeUndefined();
    expect(parseStatOutput('12 34 56 41ed\n')).toEqual({ ino: 12, size: 34, mtimeMs: 56_000, isDirectory: true });
  });

  it('makes directories, lists them (empty when missing), and refuses a file in the way', async () => {
    await node.mkdirp(join(remoteDir, 'x', 'y', 'z'));
    await node.mkdirp(join(remoteDir, 'x', 'y', 'z')); // again: fine
    expect(statSync(join(remoteDir, 'x', 'y', 'z')).isDirectory()).toBe(true);
    expect(await node.list(join(remoteDir, 'x'))).toEqual(['y']);
    expect(await node.list(join(remoteDir, 'does-not-exist'))).toEqual([]);
    writeFileSync(join(remoteDir, 'plain'), '');
    await expect(node.mkdirp(join(remoteDir, 'plain', 'sub'))).rejects.toBeInstanceOf(ServiceError);
  });

  it('uploads and downloads with progress, keeping the executable bit', async () => {
    const local = tempDir();
    const src = join(local, 'moetrain');
    const data = randomBytes(1_500_000);
    writeFileSync(src, data, { mode: 0o755 });
    const up: number[] = [];
    const dest = join(remoteDir, 'bin', 'moetrain');
    await node.upload(src, dest, (done, total) => {
      expect(total).toBe(data.length);
      up.push(done);
    });
    expect(readFileSync(dest).equals(data)).toBe(true);
    expect(statSync(dest).mode & 0o777).toBe(0o755);
    expect(up.at(-1)).toBe(data.length);
    expect(up).toEqual([...up].sort((a, b) => a - b));

    const down: number[] = [];
    const back = join(local, 'back');
    await node.download(dest, back, (done) => down.push(done));
    expect(readFileSync(back).equals(data)).toBe(true);
    expect(down.at(-1)).toBe(data.length);
    expect(down.length).toBeGreaterThan(1);
  });
});
