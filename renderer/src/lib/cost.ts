/** Time and money arithmetic for runs; the trainer supplies tokens and FLOPs, this only multiplies. */

/** The estimate the launch wizard shows. */
export interface RunEstimate {
  seconds: number | null;
  gpuHours: number | null;
  dollars: number | null;
}

/**
 * Wall time = tokens / (tokens/s); GPU-hours = wall hours × GPUs; cost = GPU-hours × price.
 * `tokensPerSec` is the whole run's throughput (all GPUs together).
 */
export function estimateRun(
  totalTokens: number | null,
  tokensPerSec: number | null,
  gpus: number,
  pricePerGpuHour: number | null,
): RunEstimate {
  if (totalTokens === null || tokensPerSec === null || !(tokensPerSec > 0))
    return { seconds: null, gpuHours: null, dollars: null };
  const seconds = totalTokens / tokensPerSec;
  const gpuHours = gpus > 0 ? (seconds / 3600) * gpus : 0;
  return { seconds, gpuHours, dollars: pricePerGpuHour === null ? null : gpuHours * pricePerGpuHour };
}

/**
 * Throughput a configuration should reach on a device at a given model FLOPs utilisation:
 * devices × peak FLOP/s × MFU / FLOPs per token.
 */
export function throughputAtMfu(flopsPerToken: number, devices: number, peakFlops: number, mfu: number): number | null {
  if (!(flopsPerToken > 0) || !(peakFlops > 0) || !(mfu > 0) || !(devices > 0)) return null;
  return (devices * peakFlops * mfu) / flopsPerToken;
}

/** Seconds left for the remaining steps at the recent pace (steps per second). */
export function etaSeconds(
  lastStep: number | null,
  totalSteps: number | null,
  stepsPerSec: number | null,
): number | null {
  if (lastStep === null || totalSteps === null || stepsPerSec === null || !(stepsPerSec > 0)) return null;
  return Math.max(0, totalSteps - lastStep) / stepsPerSec;
}

/** Recent pace in steps per second from (step, time) samples, over the newest `window` of them. */
export function stepsPerSecond(samples: readonly { step: number; time: number | null }[], window = 20): number | null {
  const withTime = samples.filter((s) => s.time !== null) as { step: number; time: number }[];
  if (withTime.length < 2) return null;
  const recent = withTime.slice(-window);
  const a = recent[0]!;
  const b = recent[recent.length - 1]!;
  const dt = b.time - a.time;
  return dt > 0 ? (b.step - a.step) / dt : null;
}
