import { randomBytes } from 'node:crypto';
import type { NodeProfile } from '../../contract/nodes.js';
import type { Db } from '../db/database.js';
import { ServiceError } from '../errors.js';

/** The id of "This machine". */
export const localNodeId = 'local';

interface NodeRow {
  id: string;
  kind: 'local' | 'ssh';
  name: string;
  host: string | null;
  port: number | null;
  username: string | null;
  identity_file: string | null;
  proxy_jump: string | null;
  python: string | null;
  created_at: number;
  updated_at: number;
}

/** Fields of an SSH node a user may set. */
export interface NodeFields {
  name: string;
  host: string;
  port?: number | null;
  user?: string | null;
  identityFile?: string | null;
  proxyJump?: string | null;
  python?: string | null;
}

function toProfile(row: NodeRow): NodeProfile {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    host: row.host,
    port: row.port,
    user: row.username,
    identityFile: row.identity_file,
    proxyJump: row.proxy_jump,
    python: row.python,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Node profiles in the store; "This machine" (`local`) is always there and cannot be removed. */
export class NodeStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      ensureLocal: db.prepare(
        `INSERT INTO nodes (id, kind, name, created_at, updated_at) VALUES ('local', 'local', 'This machine', ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      ),
      list: db.prepare("SELECT * FROM nodes ORDER BY kind = 'ssh', name COLLATE NOCASE, id"),
      get: db.prepare('SELECT * FROM nodes WHERE id = ?'),
      byName: db.prepare('SELECT id FROM nodes WHERE name = ? COLLATE NOCASE AND id <> ?'),
      insert: db.prepare(
        `INSERT INTO nodes (id, kind, name, host, port, username, identity_file, proxy_jump, python, created_at, updated_at)
         VALUES (@id, 'ssh', @name, @host, @port, @user, @identityFile, @proxyJump, @python, @now, @now)`,
      ),
      update: db.prepare(
        `UPDATE nodes SET name = @name, host = @host, port = @port, username = @user, identity_file = @identityFile,
         proxy_jump = @proxyJump, python = @python, updated_at = @now WHERE id = @id`,
      ),
      remove: db.prepare('DELETE FROM nodes WHERE id = ?'),
      runCount: db.prepare('SELECT count(*) AS n FROM runs WHERE node_id = ?'),
    };
    // Looked up first: an INSERT, even one that changes nothing, takes the write lock, and a read-only
    // command must start while another process holds it.
    if (this.stmts.get.get('local') === undefined) {
      const now = Date.now() / 1000;
      this.stmts.ensureLocal.run(now, now);
    }
  }

  /** Every profile, This machine first. */
  list(): NodeProfile[] {
    return (this.stmts.list.all() as NodeRow[]).map(toProfile);
  }

  /** One profile, or a not_found error naming it. */
  get(id: string): NodeProfile {
    const row = this.stmts.get.get(id) as NodeRow | undefined;
    if (!row)
      throw new ServiceError('not_found', `There is no node "${id}".`, 'See the node list (`moewb nodes list`).');
    return toProfile(row);
  }

  /** Adds an SSH node. */
  add(fields: NodeFields): NodeProfile {
    this.checkName(fields.name, '');
    const id = `n-${randomBytes(4).toString('hex')}`;
    this.stmts.insert.run({ id, now: Date.now() / 1000, ...this.columns(fields) });
    return this.get(id);
  }

  /** Changes an SSH node's fields; This machine's only editable field is its Python. */
  update(id: string, patch: Partial<NodeFields>): NodeProfile {
    const current = this.get(id);
    if (current.kind === 'local' && Object.keys(patch).some((k) => k !== 'python')) {
      throw new ServiceError(
        'invalid_request',
        'This machine has no connection settings to change.',
        'Only its Python can be set.',
      );
    }
    const merged = {
      name: patch.name ?? current.name,
      host: patch.host ?? current.host,
      port: patch.port !== undefined ? patch.port : current.port,
      user: patch.user !== undefined ? patch.user : current.user,
      identityFile: patch.identityFile !== undefined ? patch.identityFile : current.identityFile,
      proxyJump: patch.proxyJump !== undefined ? patch.proxyJump : current.proxyJump,
      python: patch.python !== undefined ? patch.python : current.python,
    };
    this.checkName(merged.name, id);
    this.stmts.update.run({ id, now: Date.now() / 1000, ...this.columns(merged as NodeFields) });
    return this.get(id);
  }

  /** Removes an SSH node that no run refers to. */
  remove(id: string): void {
    const node = this.get(id);
    if (node.kind === 'local') {
      throw new ServiceError('invalid_request', 'This machine is always available and cannot be removed.');
    }
    const { n } = this.stmts.runCount.get(id) as { n: number };
    if (n > 0) {
      throw new ServiceError(
        'conflict',
        `Node "${node.name}" has ${n} run${n === 1 ? '' : 's'} in the workbench.`,
        'Keep the node (rename it if it moved), or delete its runs first.',
      );
    }
    this.stmts.remove.run(id);
  }

  private checkName(name: string, id: string): void {
    if (this.stmts.byName.get(name, id)) {
      throw new ServiceError('conflict', `A node named "${name}" exists already.`, 'Pick another name.');
    }
  }

  private columns(f: NodeFields): Record<string, string | number | null> {
    return {
      name: f.name,
      host: f.host ?? null,
      port: f.port ?? null,
      user: f.user ?? null,
      identityFile: f.identityFile ?? null,
      proxyJump: f.proxyJump ?? null,
      python: f.python ?? null,
    };
  }
}
