import type { NodeProfile } from '../../contract/nodes.js';
import { ServiceError } from '../errors.js';
import { LocalNode } from './local-node.js';
import type { NodeHandle } from './node.js';
import type { NodeStore } from './node-store.js';

/** Opens a connection to a node described by a profile (SshNode for `ssh` profiles). */
export type NodeConnector = (profile: NodeProfile) => Promise<NodeHandle>;

/**
 * Hands out one NodeHandle per node profile: LocalNode for This machine, the injected connector for
 * SSH nodes. A failed connection is not cached, so the next caller tries again.
 */
export class NodePool {
  private readonly handles = new Map<string, Promise<NodeHandle>>();

  constructor(
    private readonly store: NodeStore,
    private readonly connectSsh?: NodeConnector,
  ) {}

  /** The handle of a node, connecting on first use. */
  get(nodeId: string): Promise<NodeHandle> {
    const cached = this.handles.get(nodeId);
    if (cached) return cached;
    const profile = this.store.get(nodeId);
    const opening = this.open(profile);
    this.handles.set(nodeId, opening);
    opening.catch(() => {
      if (this.handles.get(nodeId) === opening) this.handles.delete(nodeId);
    });
    return opening;
  }

  /** Drops the handle of a node whose profile changed or was removed; the next get reconnects. */
  async invalidate(nodeId: string): Promise<void> {
    const cached = this.handles.get(nodeId);
    this.handles.delete(nodeId);
    if (cached) await cached.then((h) => h.close()).catch(() => {});
  }

  /** Closes every handle. */
  async close(): Promise<void> {
    const all = [...this.handles.keys()];
    await Promise.all(all.map((id) => this.invalidate(id)));
  }

  private async open(profile: NodeProfile): Promise<NodeHandle> {
    if (profile.kind === 'local') return new LocalNode(profile.id);
    if (!this.connectSsh) {
      throw new ServiceError(
        'unavailable',
        `Cannot connect to "${profile.name}": this workbench was started without SSH support.`,
        'Use This machine, or start the full workbench.',
      );
    }
    return this.connectSsh(profile);
  }
}
