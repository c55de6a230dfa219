import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/paths.js';
import { importSshConfig, parseJumpSpec, SshConfigResolver, type SshConfigContext } from './config-import.js';
import { flattenHops, targetKey } from './target.js';

function home(): { dir: string; ctx: SshConfigContext; config: string } {
  const dir = tempDir('moewb-home-');
  mkdirSync(join(dir, '.ssh', 'config.d'), { recursive: true });
  writeFileSync(join(dir, '.ssh', 'id_ed25519'), 'not really a key');
  return {
    dir,
    ctx: {
      homeDir: dir,
      localUser: 'me',
      localHostname: 'laptop.local',
      uid: 1000,
      env: { KEYS: join(dir, 'keys'), AGENT: '/run/agent.sock' },
    },
    config: join(dir, '.ssh', 'config'),
  };
}

describe('ssh config import', () => {
  it('resolves hosts as ssh would: first value wins, wildcards, defaults, tokens and ~', async () => {
    const h = home();
    writeFileSync(
      h.config,
      [
        '# lab cluster',
        'Host gpu1 gpu1-alias',
        '  HostName gpu1.lab.example.org',
        '  User alice',
        '  Port 2222',
        '  IdentityFile ~/.ssh/lab_%h_%r',
        '  IdentityFile ${KEYS}/%u@%L',
        '',
        'Host=gpu2',
        '\tHostName=%h.lab.example.org',
        '\tIdentityAgent ${AGENT}',
        '\tHostKeyAlias gpu2-key',
        '\tConnectTimeout 7',
        '',
        'Host *.lab.example.org !bad.lab.example.org',
        '  User labuser',
        '',
        'Host *',
        '  User fallback',
        '  Port 22',
        '  ServerAliveInterval 15',
        '',
      ].join('\r\n'), // written on Windows: CRLF
    );
    const { hosts, warnings } = await importSshConfig(h.config, h.ctx);
    expect(warnings).toEqual([]);
    expect(hosts.map((x) => x.alias)).toEqual(['gpu1', 'gpu1-alias', 'gpu2']);
    const gpu1 = hosts[0]!;
    expect(gpu1.target).toMatchObject({
      host: 'gpu1.lab.example.org',
      port: 2222,
      user: 'alice',
      alias: 'gpu1',
      identityFiles: [join(h.dir, '.ssh', 'lab_gpu1.lab.example.org_alice'), join(h.dir, 'keys', 'me@laptop')],
      jump: [],
    });
    expect(gpu1.warnings.filter((w) => !w.includes('does not exist'))).toEqual([]);
    const gpu2 = hosts[2]!.target;
    expect(gpu2).toMatchObject({
      host: 'gpu2.lab.example.org',
      port: 22,
      user: 'fallback',
      identityAgent: '/run/agent.sock',
      hostKeyAlias: 'gpu2-key',
      connectTimeoutSec: 7,
    });
    // No IdentityFile: the default keys that exist.
    expect(gpu2.identityFiles).toEqual([join(h.dir, '.ssh', 'id_ed25519')]);

    const resolver = await SshConfigResolver.load(h.config, h.ctx);
    expect(resolver.resolve('node7.lab.example.org').target.user).toBe('labuser');
    expect(resolver.resolve('bad.lab.example.org').target.user).toBe('fallback'); // negated pattern
    expect(resolver.resolve('unlisted').target).toMatchObject({ host: 'unlisted', user: 'fallback', port: 22 });
  });

  it('follows ProxyJump chains: user@host:port forms, aliases, a first hop with its own jump, none', async () => {
    const h = home();
    writeFileSync(
      h.config,
      [
        'Host bastion',
        '  HostName bastion.example.org',
        '  User gate',
        '  ProxyJump outer',
        'Host outer',
        '  HostName outer.example.org',
        '  Port 2200',
        '  ProxyJump none',
        'Host inner',
        '  HostName 10.0.0.2',
        '  ProxyJump bastion',
        'Host gpu',
        '  HostName 10.0.0.9',
        '  ProxyJump bastion,ops@inner:2022',
        'Host direct',
        '  ProxyJump none',
        'Host v6',
        '  ProxyJump ssh://root@[fd00::1]:2022',
        'Host loop1',
        '  ProxyJump loop2',
        'Host loop2',
        '  ProxyJump loop1',
        'Host *',
        '  User me',
        '  ProxyJump bastion',
      ].join('\n'),
    );
    const r = await SshConfigResolver.load(h.config, h.ctx);
    const gpu = r.resolve('gpu').target;
    // Like `ssh -J bastion,ops@inner:2022 gpu`: bastion comes with its own jump (outer); inner does not.
    expect(flattenHops(gpu).map((t) => `${t.user}@${t.host}:${t.port}`)).toEqual([
      'me@outer.example.org:2200',
      'gate@bastion.example.org:22',
      'ops@10.0.0.2:2022',
      'me@10.0.0.9:22',
    ]);
    expect(targetKey(gpu)).toBe(
      'me@outer.example.org:2200 -> gate@bastion.example.org:22 -> ops@10.0.0.2:2022 -> me@10.0.0.9:22',
    );
    expect(r.resolve('direct').target.jump).toEqual([]);
    expect(r.resolve('v6').target.jump[0]).toMatchObject({ host: 'fd00::1', port: 2022, user: 'root' });
    const loop = r.resolve('loop1');
    expect(loop.warnings.some((w) => /loops/.test(w))).toBe(true);
    expect(flattenHops(loop.target).length).toBeLessThan(20);
  });

  it('expands Include (globs, relative to ~/.ssh, nested) and reports what it cannot honour', async () => {
    const h = home();
    writeFileSync(
      join(h.dir, '.ssh', 'config.d', '10-lab'),
      'Host lab1\n  HostName lab1.example.org\n  ProxyCommand ssh -W %h:%p gate\n',
    );
    writeFileSync(
      join(h.dir, '.ssh', 'config.d', '20-more'),
      'Include nested\nHost lab2\n  LocalForward 8080 localhost:80\n  ForwardAgent yes\n  Frobnicate yes\n',
    );
    writeFileSync(join(h.dir, '.ssh', 'nested'), 'Host lab3\n  Port 2022\n');
    writeFileSync(
      h.config,
      [
        'Include config.d/*',
        'Include ~/.ssh/does-not-exist',
        'Match exec "hostname | grep -q work"',
        '  User should-not-apply',
        'Host lab*',
        '  StrictHostKeyChecking no',
        '  UserKnownHostsFile /dev/null',
        'Host *',
        '  User me',
        '  Include "config.d/10-lab"',
      ].join('\n'),
    );
    const { hosts, warnings } = await importSshConfig(h.config, h.ctx);
    expect(hosts.map((x) => x.alias)).toEqual(['lab1', 'lab3', 'lab2']);
    expect(warnings).toContain('Match exec is never run; those blocks do not apply');
    const byAlias = Object.fromEntries(hosts.map((x) => [x.alias, x]));
    expect(byAlias.lab1?.target).toMatchObject({ host: 'lab1.example.org', user: 'me' });
    expect(byAlias.lab1?.warnings).toEqual(
      expect.arrayContaining([
        'ProxyCommand is not supported (use ProxyJump); connecting without it',
        'StrictHostKeyChecking no is not honoured: unknown keys are always confirmed',
        'UserKnownHostsFile is ignored: the workbench reads ~/.ssh/known_hosts and its own file',
      ]),
    );
    expect(byAlias.lab3?.target.port).toBe(2022);
    expect(byAlias.lab2?.warnings).toEqual(
      expect.arrayContaining([
        'LocalForward is not set up by the workbench',
        'ForwardAgent is never enabled by the workbench',
        'unknown directive frobnicate; ignored',
      ]),
    );
  });

  it('treats a missing config as empty and tolerates broken values', async () => {
    const h = home();
    expect(await importSshConfig(join(h.dir, 'nope'), h.ctx)).toEqual({ hosts: [], warnings: [] });
    writeFileSync(h.config, 'Host odd\n  Port banana\n  IdentityFile %Z/key\n');
    const { hosts } = await importSshConfig(h.config, h.ctx);
    expect(hosts[0]?.target.port).toBe(22);
    expect(hosts[0]?.warnings).toEqual(
      expect.arrayContaining([
        'Port banana is not a port number; using 22',
        'IdentityFile: token %Z is not supported; left as is',
      ]),
    );
  });

  it('parses ProxyJump entries', () => {
    expect(parseJumpSpec('host')).toEqual({ host: 'host' });
    expect(parseJumpSpec('u@host:2200')).toEqual({ user: 'u', host: 'host', port: 2200 });
    expect(parseJumpSpec('ssh://u@[::1]:22')).toEqual({ user: 'u', host: '::1', port: 22 });
    expect(parseJumpSpec('fe80::1')).toEqual({ host: 'fe80::1' });
    expect(parseJumpSpec('host:http')).toBeUndefined();
    expect(parseJumpSpec('host:70000')).toBeUndefined();
    expect(parseJumpSpec(' ')).toBeUndefined();
  });
});
