/** Options of the synthetic metrics stream. */
export interface SyntheticStreamOptions {
  runId: string;
  steps: number;
  /** First step (resume.step + 1 for a resumed attempt). */
  firstStep?: number;
  attempt?: number;
  resumeStep?: number | null;
  layers?: number;
  experts?: number;
  routerEvery?: number;
  valEvery?: number;
  checkpointEvery?: number;
}

/**
 * Lines shaped like the trainer's metrics stream (docs/metrics-schema.md): a header, then a step
 * record per step (12 scalar series), router records for every layer's two routers, val and
 * checkpoint records at their intervals.
 */
export function* syntheticStream(o: SyntheticStreamOptions): Generator<string> {
  const attempt = o.attempt ?? 1;
  const first = o.firstStep ?? 1;
  const layers = o.layers ?? 4;
  const experts = o.experts ?? 8;
  const t0 = 1795934535;
  const resume = o.resumeStep
    ? { step: o.resumeStep, checkpoint: `checkpoints/step-${String(o.resumeStep).padStart(8, '0')}` }
    : null;
  yield JSON.stringify({
    type: 'header',
    schema: 1,
    run_id: o.runId,
    attempt,
    time: t0,
    resume,
    trainer: { moetrain: '0.1.0', libtorch: '2.13.0', device: 'cpu', world_size: 1 },
    config: { 'hidden-size': 128, 'num-layers': layers },
    params: { total: 2e6, active: 1e6, active_with_embedding: 1.1e6, flops_per_token: 6e6 },
  });
  for (let step = first; step < first + o.steps; step++) {
    const loss = 5 * Math.exp(-step / 20000) + 0.05 * Math.sin(step);
    yield JSON.stringify({
      type: 'step',
      step,
      tokens: step * 4096,
      time: t0 + step * 0.05,
      elapsed: step * 0.05,
      loss,
      lm_loss: loss - 0.01,
      aux_loss: 0.48 + 0.01 * Math.cos(step),
      z_loss: 0.0031,
      lr: 3e-4,
      grad_norm: 0.84 + 0.1 * Math.sin(step / 7),
      tokens_per_s: 7560.2 + (step % 13),
      mfu: 0.021,
      mem_bytes: 512000000,
      skipped: false,
      nonfinite_total: 0,
    });
    if (o.routerEvery && step % o.routerEvery === 0) {
      const load = Array.from({ length: experts }, (_, e) => (1 + 0.1 * Math.sin(step + e)) / experts);
      const sum = load.reduce((a, b) => a + b, 0);
      const norm = load.map((x) => x / sum);
      yield JSON.stringify({
        type: 'router',
        step,
        tokens: step * 4096,
        layers: Array.from({ length: layers * 2 }, (_, i) => ({
          layer: Math.floor(i / 2),
          kind: i % 2 ? 'mlp' : 'attn',
          load: norm,
          importance: norm,
          max_over_mean: Math.max(...norm) * experts,
          cv: 0.06,
          entropy: Math.log(experts) - 0.01,
          dead: [],
          by_domain: { arithmetic: norm, copy: norm },
        })),
      });
    }
    if (o.valEvery && step % o.valEvery === 0) {
      yield JSON.stringify({
        type: 'val',
        step,
        tokens: step * 4096,
        loss,
        ppl: Math.exp(loss),
        tokens_evaluated: 65536,
        by_domain: { arithmetic: loss * 0.8, copy: loss * 0.3 },
      });
    }
    if (o.checkpointEvery && step % o.checkpointEvery === 0) {
      yield JSON.stringify({
        type: 'checkpoint',
        step,
        tokens: step * 4096,
        path: `checkpoints/step-${String(step).padStart(8, '0')}`,
        bytes: 10485760,
        loss,
        val_loss: null,
        reason: 'interval',
      });
    }
  }
}
