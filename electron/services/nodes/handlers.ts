import { ServiceError } from '../errors.js';
import type { Handlers } from '../rpc/handlers.js';
import type { SshServices } from '../ssh/ssh-services.js';
import type { EventBus } from '../util/event-bus.js';
import { probeNode } from './node-probe.js';
import type { NodePool } from './node-pool.js';
import type { NodeStore } from './node-store.js';

type NodesHandlers = Pick<
  Handlers,
  'nodes:list' | 'nodes:add' | 'nodes:update' | 'nodes:remove' | 'nodes:test' | 'nodes:trust-host-key'
>;

/** Handlers of the `nodes` domain. */
export function nodesHandlers(
  store: NodeStore,
  pool: NodePool,
  events: EventBus,
  ssh: (() => Promise<SshServices>) | null,
): NodesHandlers {
  const changed = (): void => events.emit('nodes:changed', { nodes: store.list() });
  return {
    'nodes:list': async () => store.list(),
    'nodes:add': async (req) => {
      const node = store.add(req);
      changed();
      return node;
    },
    'nodes:update': async ({ id, ...patch }) => {
      const node = store.update(id, patch);
      await pool.invalidate(id);
      changed();
      return node;
    },
    'nodes:remove': async ({ id }) => {
      store.remove(id);
      await pool.invalidate(id);
      changed();
      return { removed: true };
    },
    'nodes:test': async ({ id }) => {
      const profile = store.get(id);
      return probeNode(await pool.get(id), profile);
    },
    'nodes:trust-host-key': async (req) => {
      if (!ssh) throw new ServiceError('unavailable', 'This workbench has no SSH layer to record host keys in.');
      await (await ssh()).trustHostKey(req);
      return { trusted: true };
    },
  };
}
