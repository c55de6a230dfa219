/**
 * Source of a child process that keeps appending a metrics stream (docs/metrics-schema.md) to a file:
 * attempts that resume from an earlier step, occasional malformed lines, and some lines written in two
 * pieces with a pause between, so readers see partial trailing lines. Runs until `total` lines or
 * SIGTERM (which may leave a partial last line, as a crashed trainer could).
 */
export const appenderSource = `
import { appendFileSync } from 'node:fs';
const [file, runId, totalText] = process.argv.slice(2);
const total = Number(totalText);
let stop = false;
process.on('SIGTERM', () => { stop = true; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let attempt = 1, step = 0, written = 0;
const t0 = 1795934535;
function header(resume) {
  return JSON.stringify({ type: 'header', schema: 1, run_id: runId, attempt, time: t0 + written,
    resume: resume ? { step: resume, checkpoint: 'checkpoints/step-' + String(resume).padStart(8, '0') } : null,
    trainer: { moetrain: '0.1.0', libtorch: '2.13.0', device: 'cpu', world_size: 1 }, config: {}, params: {} });
}
function record() {
  step += 1;
  if (step % 97 === 0) return '{"type": "step", "step": ' + step + ', "loss": ';
  if (step % 50 === 0) return JSON.stringify({ type: 'val', step, tokens: step * 64, loss: 3 - step / 1e4, ppl: 20, \
by_domain: { copy: 1.5, arithmetic: null } });
  return JSON.stringify({ type: 'step', step, tokens: step * 64, time: t0 + step / 10, loss: 3 - step / 1e4, lm_loss: 2.9,
    aux_loss: 0.5, z_loss: step % 13 === 0 ? null : 0.003, lr: 3e-3, grad_norm: 0.8, \
tokens_per_s: 7000 + step % 7, skipped: step % 11 === 0 });
}
appendFileSync(file, header(null) + '\\n');
written++;
while (!stop && written < total) {
  let line;
  if (written % 700 === 0) {
    const resume = Math.max(0, step - 150);
    attempt += 1;
    line = header(resume);
    step = resume;
  } else {
    line = record();
  }
  if (written % 9 === 0) {
    const cut = Math.floor(line.length / 2);
    appendFileSync(file, line.slice(0, cut));
    await sleep(1);
    appendFileSync(file, line.slice(cut) + '\\n');
  } else {
    appendFileSync(file, line + '\\n');
  }
  written++;
  if (written % 5 === 0) await sleep(4);
}
`;
