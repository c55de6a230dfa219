import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/secret-store.js';
import { tempDir } from '../../test-support/paths.js';
import { generateKey } from '../../test-support/ssh-keys.js';
import { TestSshd } from '../../test-support/sshd.js';
import { isHostKeyUnknown, type HostKeyDetails, type SshError } from './errors.js';
import { createSshServices } from './ssh-services.js';

let sshd: TestSshd | undefined;
afterAll(async () => {
  await sshd?.stop();
});

describe('createSshServices', () => {
  it('imports a host from ~/.ssh/config, asks about its key, records it after the user agrees, then connects', async () => {
    const home = tempDir('moewb-home-');
    mkdirSync(join(home, '.ssh'));
    const key = generateKey(join(home, '.ssh'), 'id_ed25519'); // a default key: no IdentityFile needed
    sshd = await TestSshd.start({ authorizedKeys: [key.publicLine] });
    writeFileSync(
      join(home, '.ssh', 'config'),
      `Host lab\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n`,
    );
    writeFileSync(join(home, '.ssh', 'known_hosts'), '# nothing yet\n');
    const dataDir = join(home, 'data');
    const ssh = createSshServices({
      dataDir,
      homeDir: home,
      localUser: 'someone-else',
      secrets: new MemorySecretStore('test'),
      connection: { idleCloseMs: 0 },
    });
    try {
      const { hosts } = await ssh.importConfig();
      expect(hosts.map((h) => h.alias)).toEqual(['lab']);
      const target = hosts[0]!.target;
      expect(target.identityFiles).toEqual([key.privatePath]);

      const err = await ssh.openNode('lab', target).catch((e: unknown) => e);
      expect(isHostKeyUnknown(err)).toBe(true);
      const details = (err as SshError<HostKeyDetails>).details;
      await ssh.trustHostKey({
        host: details.host,
        port: details.port,
        key: details.key,
        fingerprint: details.fingerprint,
      });
      expect(readFileSync(join(dataDir, 'known_hosts'), 'utf8')).toBe(
        `[127.0.0.1]:${sshd.port} ${sshd.hostKey.publicLine}\n`,
      );
      expect(readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8')).toBe('# nothing yet\n');

      const node = await ssh.openNode('lab', (await ssh.resolveHost('lab')).target);
      expect((await node.exec(['echo', 'hi'])).stdout.toString()).toBe('hi\n');
      await node.close();
    } finally {
      await ssh.close();
    }
  });
});
