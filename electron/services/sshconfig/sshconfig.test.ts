import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SshConfigHosts } from '../../contract/sshconfig.js';
import { tempDir } from '../../test-support/paths.js';
import { dispatch } from '../rpc/dispatch.js';
import { createWorkbench, type Workbench } from '../workbench.js';

let wb: Workbench | null = null;
afterEach(async () => {
  await wb?.close();
  wb = null;
});

describe('sshconfig:hosts', () => {
  it('offers the concrete hosts of ~/.ssh/config as ssh would reach them, and marks the ones already added', async () => {
    const home = tempDir();
    mkdirSync(join(home, '.ssh'));
    writeFileSync(
      join(home, '.ssh', 'config'),
      [
        'Host gpu1',
        '  HostName 10.0.0.5',
        '  User alice',
        '  Port 2222',
        '  ProxyJump bastion',
        '',
        'Host bastion',
        '  HostName bastion.example',
        '  User bob',
        '',
        'Host *.lab',
        '  User carol',
        '',
      ].join('\n'),
    );
    const dataDir = tempDir();
    wb = createWorkbench({
      dataDir,
      trainerPath: join(dataDir, 'none'),
      transport: 'browser',
      version: 't',
      watchRuns: false,
      ssh: { homeDir: home, localUser: 'me' },
    });
    const first = await dispatch(wb.handlers, 'sshconfig:hosts', {});
    expect(first.ok).toBe(true);
    const value = (first as { value: SshConfigHosts }).value;
    expect(value.path).toBe(join(home, '.ssh', 'config'));
    expect(value.hosts.map((h) => h.alias)).toEqual(['gpu1', 'bastion']);
    expect(value.hosts[0]).toMatchObject({
      host: '10.0.0.5',
      port: 2222,
      user: 'alice',
      via: 'bob@bastion.example',
      nodeId: null,
    });
    const added = await dispatch(wb.handlers, 'nodes:add', { name: 'gpu1', host: 'gpu1' });
    expect(added.ok).toBe(true);
    const again = (await dispatch(wb.handlers, 'sshconfig:hosts', {})) as { ok: true; value: SshConfigHosts };
    expect(again.value.hosts[0]!.nodeId).toBe((added as { value: { id: string } }).value.id);
    expect(again.value.hosts[1]!.nodeId).toBeNull();
  });
});
