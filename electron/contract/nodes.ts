import { z } from 'zod';
import { channel, event } from './define.js';

/** A node profile as the store keeps it: where to connect, never a secret. */
export interface NodeProfile {
  id: string;
  kind: 'local' | 'ssh';
  name: string;
  host: string | null;
  port: number | null;
  user: string | null;
  /** Path of a private key file on this machine (the key itself never enters the store). */
  identityFile: string | null;
  /** OpenSSH ProxyJump chain, e.g. `me@bastion:2222,gw`. */
  proxyJump: string | null;
  /** Python with PyTorch on the node, passed to the build as `--python`. */
  python: string | null;
  createdAt: number;
  updatedAt: number;
}

const nonEmpty = z.string().trim().min(1);
const optionalText = z.string().trim().min(1).nullable().optional();

/** Fields a user sets on an SSH node. */
export const nodeFieldsSchema = z.object({
  name: nonEmpty.max(200),
  host: nonEmpty.max(255).refine((h) => !/[\s'"`$;&|<>]/.test(h), 'a host name has no spaces or shell characters'),
  port: z.number().int().min(1).max(65535).nullable().optional(),
  user: optionalText,
  identityFile: optionalText,
  proxyJump: optionalText,
  python: optionalText,
});

/** One GPU as `nvidia-smi` reports it. */
export interface GpuInfo {
  name: string;
  memoryMiB: number | null;
  driver: string | null;
}

/** What `nodes:test` found on a node. */
export interface NodeReport {
  nodeId: string;
  checkedAt: number;
  hostname: string;
  os: string;
  kernel: string;
  arch: string;
  cpuCount: number | null;
  memoryBytes: number | null;
  gpus: GpuInfo[];
  python: { path: string; version: string; torch: { version: string; cuda: string | null } | null } | null;
  tools: { cmake: string | null; gxx: string | null; nvcc: string | null };
  /** Things that will bite later, each with its fix (e.g. logind killing processes at logout). */
  warnings: string[];
}

const listRequest = z.object({}).strict();
const addRequest = nodeFieldsSchema.strict();
const updateRequest = nodeFieldsSchema.partial().extend({ id: nonEmpty }).strict();
const idRequest = z.object({ id: nonEmpty }).strict();
const trustRequest = z
  .object({
    host: nonEmpty,
    port: z.number().int().min(1).max(65535),
    key: z.string().regex(/^[A-Za-z0-9+/=]+$/, 'the base64 public key from the error details'),
    fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]+$/, 'SHA256:... as shown'),
  })
  .strict();

/** Channels of the `nodes` domain. */
export const nodesChannels = {
  'nodes:list': channel<typeof listRequest, NodeProfile[]>(listRequest),
  'nodes:add': channel<typeof addRequest, NodeProfile>(addRequest),
  'nodes:update': channel<typeof updateRequest, NodeProfile>(updateRequest),
  'nodes:remove': channel<typeof idRequest, { removed: true }>(idRequest),
  'nodes:test': channel<typeof idRequest, NodeReport>(idRequest),
  /**
   * Records a host key the user compared and accepted: the `host`, `port`, `key` and `fingerprint` of
   * an `ssh_host_key_unknown` error's details. Changed or revoked keys are refused.
   */
  'nodes:trust-host-key': channel<typeof trustRequest, { trusted: true }>(trustRequest),
} as const;

/** Events of the `nodes` domain. */
export const nodesEvents = {
  'nodes:changed': event<{ nodes: NodeProfile[] }>(),
} as const;
