import { z } from 'zod';
import { channel, event } from './define.js';
import type { CheckpointRecord } from './runs.js';

/** A checkpoint of the ledger with everything the checkpoint views show (docs/checkpoints.md). */
export interface CheckpointInfo extends CheckpointRecord {
  runId: string;
  /** Absolute path of the checkpoint directory on the run's node. */
  remotePath: string;
  /** The retention rules that keep it (`newest`, `every_tokens`, `best_val`), as the trainer last reported them. */
  keptReasons: string[];
  /** True for the newest complete checkpoint of its run (the one `--resume auto` would load). */
  newest: boolean;
  /** Where `checkpoints:download` put a verified copy on this machine, if it did. */
  downloadedPath: string | null;
  /** When `checkpoints:verify` last checked it (Unix seconds), and what it found. */
  verifiedAt: number | null;
  verifyMessage: string | null;
}

/** One file of a checkpoint as the MANIFEST lists it and as it was found. */
export interface CheckpointFileCheck {
  name: string;
  /** Size and SHA-1 the MANIFEST records. */
  bytes: number;
  sha1: string;
  /** Size and SHA-1 found on disk; null when the file is missing. */
  actualBytes: number | null;
  actualSha1: string | null;
  ok: boolean;
}

/** Answer of `checkpoints:verify`. */
export interface CheckpointVerifyResult {
  checkpoint: CheckpointInfo;
  ok: boolean;
  /** What is wrong, in one sentence, or "all N files match the MANIFEST". */
  message: string;
  files: CheckpointFileCheck[];
}

/** Answer of `checkpoints:download`. */
export interface CheckpointDownloadResult {
  checkpoint: CheckpointInfo;
  /** The verified copy on this machine. */
  localPath: string;
  bytes: number;
  files: number;
  /** Files already present and verified from an earlier, interrupted download. */
  reused: number;
}

/** Phases of a verify or download, in order. */
export const checkpointPhases = ['manifest', 'verify', 'transfer', 'check', 'done', 'failed'] as const;

/** Progress of `checkpoints:verify` or `checkpoints:download`. */
export interface CheckpointProgress {
  checkpointId: number;
  operation: 'verify' | 'download';
  phase: (typeof checkpointPhases)[number];
  message: string;
  /** The file being handled. */
  file?: string;
  /** Bytes handled so far and in all (the whole checkpoint). */
  transferred?: number;
  total?: number;
}

const checkpointId = z.number().int().min(1);
const runId = z.string().regex(/^r-[0-9]{8}-[0-9a-f]{6}$/, 'a run id looks like r-20261129-a1b2c3');
const listRequest = z.object({ runId, includeDeleted: z.boolean().default(true) }).strict();
const oneRequest = z.object({ checkpointId }).strict();
const downloadRequest = z
  .object({
    checkpointId,
    /** A folder on this machine (default `<data dir>/checkpoints/<run id>/step-N`). */
    dest: z.string().min(1).optional(),
  })
  .strict();

/** Request of `checkpoints:download`. */
export type CheckpointDownloadRequest = z.input<typeof downloadRequest>;

/** Channels of the `checkpoints` domain. */
export const checkpointsChannels = {
  /** The ledger of a run: every checkpoint the trainer reported, oldest first, with status and local copies. */
  'checkpoints:list': channel<typeof listRequest, CheckpointInfo[]>(listRequest),
  /** Re-checks sizes and SHA-1 of the files against the MANIFEST on the node; a mismatch marks it corrupt. */
  'checkpoints:verify': channel<typeof oneRequest, CheckpointVerifyResult>(oneRequest),
  /** Removes the checkpoint directory on the node; refuses the newest complete one of a running run. */
  'checkpoints:delete': channel<typeof oneRequest, CheckpointInfo>(oneRequest),
  /** Copies a checkpoint to this machine, verifying every file's SHA-1; atomic (temporary folder + rename). */
  'checkpoints:download': channel<typeof downloadRequest, CheckpointDownloadResult>(downloadRequest),
} as const;

/** Events of the `checkpoints` domain. */
export const checkpointsEvents = {
  'checkpoints:progress': event<CheckpointProgress>(),
  /** A checkpoint's status, verification or local copy changed. */
  'checkpoints:changed': event<{ checkpoint: CheckpointInfo }>(),
} as const;
