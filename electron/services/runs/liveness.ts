import type { RunState } from '../../contract/runs.js';
import { parseKeyValues } from '../nodes/logind.js';
import type { NodeHandle } from '../nodes/node.js';
import { shellQuote } from '../util/shell-quote.js';

/** How a recorded pid looks now: gone, ours (command line names the run), or someone else's. */
export type PidState = 'none' | 'dead' | 'match' | 'other';

/** One look at a run directory, taken on the node in a single command. */
export interface Observation {
  dirExists: boolean;
  /** The node's clock (`date +%s`). */
  now: number;
  bootId: string;
  recordedBootId: string | null;
  trainerPid: number | null;
  trainer: PidState;
  wrapperPid: number | null;
  wrapper: PidState;
  heartbeat: { time: number; step: number | null; phase: string | null } | null;
  attempt: { attempt: number; startedAt: number | null } | null;
  exitCode: number | null;
  /** The last line of trainer.log once the attempt has an exit code (the trainer's own last word). */
  logTail?: string | null;
}

/** What the judge decides: a state with its reason, or null = undetermined, look again shortly. */
export interface Judgement {
  state: RunState | null;
  message: string | null;
}

/** Context of a judgement that is not in the run directory. */
export interface JudgeContext {
  /** Seconds between heartbeats (`--heartbeat-every`). */
  heartbeatInterval: number;
  stopRequested: boolean;
  /** The last status record of the stream (state and message), if any. */
  lastStatus: { state: string; message: string | null } | null;
  /** True shortly after the workbench started the wrapper, before it could record anything. */
  launching: boolean;
}

/** The observation script: pids are checked before exit_code is read, so an exit in between is seen. */
export function observeScript(runDir: string, runId: string): string {
  return `
D=${shellQuote(runDir)}
RUN_ID=${shellQuote(runId)}
echo "now=$(date +%s)"
echo "boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"
cd "$D" 2>/dev/null || { echo "dir=missing"; exit 0; }
echo "dir=ok"
pstate() {
  if [ -z "$1" ]; then echo none
  elif [ ! -e "/proc/$1" ]; then echo dead
  elif tr '\\000' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$RUN_ID"; then echo match
  else echo other; fi
}
tp=$(cat trainer.pid 2>/dev/null); wp=$(cat wrapper.pid 2>/dev/null)
echo "trainer_pid=$tp"; echo "trainer=$(pstate "$tp")"
echo "wrapper_pid=$wp"; echo "wrapper=$(pstate "$wp")"
echo "recorded_boot=$(cat boot_id 2>/dev/null)"
echo "heartbeat=$(head -c 4096 heartbeat 2>/dev/null | tr '\\n' ' ')"
last=$(ls attempts 2>/dev/null | sed -n 's/^\\([0-9][0-9]*\\)\\.json$/\\1/p' | sort -n | tail -n 1)
[ -n "$last" ] && echo "attempt=$(head -c 4096 "attempts/$last.json" | tr '\\n' ' ')"
ec=$(cat exit_code 2>/dev/null)
echo "exit_code=$ec"
[ -n "$ec" ] && echo "log_tail=$(tail -n 1 trainer.log 2>/dev/null | head -c 300)"
`;
}

function parsePid(text: string | undefined): number | null {
  return text && /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
}

function parseJson(text: string | undefined): Record<string, unknown> | null {
  if (!text?.trim()) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Parses the output of observeScript. */
export function parseObservation(text: string): Observation {
  const f = parseKeyValues(text);
  const pidState = (v: string | undefined): PidState => (v === 'match' || v === 'other' || v === 'dead' ? v : 'none');
  const hb = parseJson(f.heartbeat);
  const attempt = parseJson(f.attempt);
  const exit = f.exit_code?.trim();
  return {
    dirExists: f.dir === 'ok',
    now: Number(f.now),
    bootId: f.boot ?? '',
    recordedBootId: f.recorded_boot?.trim() || null,
    trainerPid: parsePid(f.trainer_pid),
    trainer: pidState(f.trainer),
    wrapperPid: parsePid(f.wrapper_pid),
    wrapper: pidState(f.wrapper),
    heartbeat:
      hb && typeof hb.time === 'number'
        ? {
            time: hb.time,
            step: typeof hb.step === 'number' ? hb.step : null,
            phase: typeof hb.phase === 'string' ? hb.phase : null,
          }
        : null,
    attempt:
      attempt && typeof attempt.attempt === 'number'
        ? { attempt: attempt.attempt, startedAt: typeof attempt.started_at === 'number' ? attempt.started_at : null }
        : null,
    exitCode: exit && /^-?\d+$/.test(exit) ? Number(exit) : null,
    logTail: f.log_tail?.trim() || null,
  };
}

/** Looks at a run directory on its node (one command, whatever the transport). */
export async function observe(node: NodeHandle, runDir: string, runId: string): Promise<Observation> {
  const result = await node.exec(['sh', '-c', observeScript(runDir, runId)], { timeoutMs: 30_000 });
  return parseObservation(result.stdout.toString('utf8'));
}

function exitJudgement(code: number, ctx: JudgeContext, logTail: string | null): Judgement {
  // Without a status record of this attempt (it failed before its header), trainer.log says why.
  const reason = ctx.lastStatus?.message ?? (code !== 0 ? logTail : null);
  const said = reason ? `: ${reason}` : '';
  if (code === 0) {
    if (ctx.lastStatus?.state === 'stopped' || (ctx.stopRequested && ctx.lastStatus?.state !== 'completed')) {
      return { state: 'stopped', message: ctx.lastStatus?.message ?? 'stopped on request; a checkpoint was written' };
    }
    return { state: 'completed', message: ctx.lastStatus?.message ?? null };
  }
  if (code === 2)
    return { state: 'failed', message: `the trainer refused its configuration (exit 2)${said}; see trainer.log` };
  if (code === 3)
    return {
      state: 'failed',
      message: `stopped after too many consecutive non-finite losses or gradients (exit 3)${said}`,
    };
  if (code > 128) return { state: 'failed', message: `the trainer was killed by signal ${code - 128} (exit ${code})` };
  return { state: 'failed', message: `the trainer failed (exit ${code})${said || '; see trainer.log'}` };
}

/**
 * Judges a run exactly as docs/run-directory.md says: running only when the trainer pid is alive, its
 * command line names the run, the boot id is unchanged and the heartbeat is fresh by the node's clock.
 */
export function judge(o: Observation, ctx: JudgeContext): Judgement {
  if (!o.dirExists) return { state: 'failed', message: 'the run directory is gone from the node' };
  if (o.exitCode !== null) return exitJudgement(o.exitCode, ctx, o.logTail ?? null);
  if (o.recordedBootId && o.bootId && o.recordedBootId !== o.bootId) {
    return { state: 'failed', message: 'the node rebooted after the run started; the trainer is gone' };
  }
  const live: RunState = ctx.stopRequested ? 'stopping' : 'running';
  if (o.trainer === 'match') {
    const limit = 3 * ctx.heartbeatInterval;
    const hb = o.heartbeat;
    if (hb && o.now - hb.time <= limit && (o.attempt?.startedAt == null || hb.time >= o.attempt.startedAt - 1)) {
      return { state: live, message: null };
    }
    // Starting up (loading LibTorch, initialising CUDA) before the first heartbeat of this attempt.
    const startedAt = o.attempt?.startedAt ?? null;
    if (startedAt !== null && o.now - startedAt <= Math.max(limit, 60)) return { state: live, message: 'starting' };
    const age = hb ? `${Math.round(o.now - hb.time)} s` : 'ever';
    return {
      state: 'unresponsive',
      message: `the trainer is alive but has not written a heartbeat for ${age}; it may be hung`,
    };
  }
  if (o.wrapper === 'match') {
    // The trainer is gone (or not started yet) and the wrapper is about to record it: look again.
    return o.trainer === 'none' ? { state: 'launching', message: null } : { state: null, message: null };
  }
  // Just started: the wrapper may not have recorded anything yet.
  if (ctx.launching) return { state: null, message: null };
  if (o.trainer === 'other') {
    return {
      state: 'failed',
      message: 'the trainer is gone (its pid now belongs to another process) and wrote no exit code',
    };
  }
  if (o.trainerPid === null) {
    return {
      state: 'failed',
      message: 'the launch wrapper did not start the trainer; see launch.log in the run directory',
    };
  }
  return {
    state: 'failed',
    message: 'the trainer was killed (out of memory or SIGKILL): it is gone and wrote no exit code',
  };
}
