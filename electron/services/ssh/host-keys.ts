/**
 * The host keys the workbench trusts: the user's own known_hosts files (read, never written) plus the
 * workbench's known_hosts in its data directory, where keys the user accepted are recorded.
 */
import { readFile } from 'node:fs/promises';
import { ServiceError } from '../errors.js';
import { writeFileAtomicLocal } from '../secrets/atomic-file.js';
import { SshError } from './errors.js';
import {
  blobKeyType,
  checkHostKey,
  fingerprintSha256,
  knownKeyTypes,
  parseKnownHosts,
  type HostKeyCheck,
  type KnownHostsEntry,
} from './known-hosts.js';
import { knownHostsName } from './target.js';

/** Where host keys are read from and recorded. */
export interface HostKeyStoreOptions {
  /** The user's known_hosts files (e.g. ~/.ssh/known_hosts); missing files are fine, unreadable ones refuse. */
  userKnownHostsFiles: string[];
  /** The workbench's own known_hosts (in its data directory); trusted keys are appended here. */
  workbenchKnownHostsFile: string;
}

/** A host key the user agreed to trust. */
export interface TrustHostKeyRequest {
  /** The name looked up in known_hosts (the `host` of the error details). */
  host: string;
  port: number;
  /** The public key blob, base64 (the `key` of the error details). */
  key: string;
  /** When given, must equal the key's fingerprint (guards against trusting something other than what was shown). */
  fingerprint?: string;
}

async function readKnownHosts(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return '';
    // An existing file we cannot read might hold the very key that says "this host changed": refuse.
    throw new SshError(
      'storage_failed',
      `Cannot read the known_hosts file ${file} (${code}); host keys cannot be checked, so no connection is made.`,
      'Make the file readable by your user (or move it away if it is not a known_hosts file), then retry.',
      { kind: 'known_hosts_unreadable', file, cause: code },
    );
  }
}

/** Reads, checks and records host keys. */
export class HostKeyStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: HostKeyStoreOptions) {}

  /** The workbench's own known_hosts file. */
  get workbenchFile(): string {
    return this.options.workbenchKnownHostsFile;
  }

  /** All entries of all files, user files first; throws SshError(storage_failed) for an unreadable file. */
  async entries(): Promise<{ entries: KnownHostsEntry[]; warnings: string[] }> {
    const files = [...this.options.userKnownHostsFiles, this.options.workbenchKnownHostsFile];
    const entries: KnownHostsEntry[] = [];
    const warnings: string[] = [];
    for (const file of files) {
      const parsed = parseKnownHosts(await readKnownHosts(file), file);
      entries.push(...parsed.entries);
      warnings.push(...parsed.warnings);
    }
    return { entries, warnings };
  }

  /** Checks the key a server presented for host:port (host = HostName or HostKeyAlias). */
  async check(host: string, port: number, key: Buffer): Promise<HostKeyCheck> {
    const { entries } = await this.entries();
    return checkHostKey(entries, knownHostsName(host, port), key);
  }

  /** Key types on record for host:port, to ask the server for one of those first. */
  async knownKeyTypes(host: string, port: number): Promise<string[]> {
    const { entries } = await this.entries();
    return knownKeyTypes(entries, knownHostsName(host, port));
  }

  /**
   * Records a key as trusted for host:port in the workbench's known_hosts. Refuses when the host has a
   * different key of the same type on record or the key is revoked: a changed key is never "accepted".
   */
  async trust(request: TrustHostKeyRequest): Promise<void> {
    const key = Buffer.from(request.key, 'base64');
    const keyType = blobKeyType(key);
    if (!keyType || key.toString('base64') !== request.key.replace(/\s+/g, '')) {
      throw new ServiceError('invalid_request', 'The host key to trust is not a valid SSH public key.');
    }
    const fingerprint = fingerprintSha256(key);
    if (request.fingerprint !== undefined && request.fingerprint !== fingerprint) {
      throw new ServiceError(
        'invalid_request',
        `The host key does not have the fingerprint that was shown (${request.fingerprint}).`,
        'Connect again and compare the fingerprint before trusting it.',
      );
    }
    const run = this.writing.then(async () => {
      const current = await this.check(request.host, request.port, key);
      if (current.status === 'trusted') return;
      if (current.status !== 'unknown') {
        throw new SshError(
          'ssh_host_key_changed',
          `Refusing to trust this key for ${knownHostsName(request.host, request.port)}: ` +
            `${current.status === 'revoked' ? 'it is revoked' : 'a different key is on record'} (${current.source}).`,
          'Ask the administrator of the host whether its key really changed; if so, remove the old line from that file.',
          {
            kind: 'host_key',
            status: current.status,
            host: request.host,
            port: request.port,
            keyType,
            fingerprint,
            key: request.key,
            recordedAt: current.source,
          },
        );
      }
      const file = this.options.workbenchKnownHostsFile;
      const existing = await readKnownHosts(file);
      const prefix = existing === '' || existing.endsWith('\n') ? existing : `${existing}\n`;
      const line = `${knownHostsName(request.host, request.port)} ${keyType} ${key.toString('base64')}\n`;
      await writeFileAtomicLocal(file, prefix + line, 0o600);
    });
    // Keep the queue alive after a failure; the caller still sees the error.
    this.writing = run.catch(() => {});
    return run;
  }
}
