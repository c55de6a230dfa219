import { z } from 'zod';
import type { TrainerVersion } from './app.js';
import type { GpuInfo } from './nodes.js';
import { channel, event } from './define.js';

/** One deploy of the trainer to a node. */
export interface Deployment {
  id: number;
  nodeId: string;
  /** Content hash of the trainer sources (native/ without build outputs, plus resources/presets). */
  trainerHash: string;
  /** Where the sources live on the node. */
  remoteDir: string;
  status: 'running' | 'ready' | 'failed';
  /** Whether this deploy copied sources / ran the build (both false: the node already had it). */
  uploaded: boolean;
  built: boolean;
  startedAt: number;
  finishedAt: number | null;
  buildLogTail: string | null;
  error: { message: string; hint: string | null } | null;
  /** `moetrain version --json` on the node after the build. */
  facts: TrainerVersion | null;
  /** The node's GPUs with their driver, from `nvidia-smi` (empty when it has none). */
  gpus: GpuInfo[];
}

/** Phases of a deploy, in order. */
export const deployPhases = ['hash', 'check', 'upload', 'build', 'verify', 'done', 'failed'] as const;

/** A progress report of a running deploy. */
export interface DeployProgress {
  deploymentId: number;
  nodeId: string;
  phase: (typeof deployPhases)[number];
  message: string;
  /** Bytes sent so far and in all, during `upload`. */
  transferred?: number;
  total?: number;
}

const startRequest = z.object({ nodeId: z.string().min(1), force: z.boolean().default(false) }).strict();
const listRequest = z.object({ nodeId: z.string().min(1).optional() }).strict();

/** Channels of the `deploy` domain. */
export const deployChannels = {
  /** Makes the node's trainer match this workbench's sources: upload and build only what is missing. */
  'deploy:start': channel<typeof startRequest, Deployment>(startRequest),
  'deploy:list': channel<typeof listRequest, Deployment[]>(listRequest),
} as const;

/** Events of the `deploy` domain. */
export const deployEvents = {
  'deploy:progress': event<DeployProgress>(),
} as const;
