import type { NodePool } from '../nodes/node-pool.js';
import type { NodeStore } from '../nodes/node-store.js';
import type { Handlers } from '../rpc/handlers.js';
import type { Deployer } from './deployer.js';
import type { DeploymentStore } from './deployment-store.js';

/** Handlers of the `deploy` domain. */
export function deployHandlers(
  deployer: Deployer,
  store: DeploymentStore,
  nodes: NodeStore,
  pool: NodePool,
): Pick<Handlers, 'deploy:start' | 'deploy:list'> {
  return {
    'deploy:start': async ({ nodeId, force }) => {
      const profile = nodes.get(nodeId);
      return deployer.deploy(await pool.get(nodeId), profile, force);
    },
    'deploy:list': async ({ nodeId }) => store.list(nodeId ?? null),
  };
}
