import { useEffect, useId, useMemo, useState } from 'react';
import type { FlagSpec, PlanOk, PresetInfo } from '../../../../electron/contract/config.js';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import { useApi, useRequest } from '../../app/api-context.js';
import { useNodes } from '../../app/hooks.js';
import { useRouter } from '../../app/router.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { firstSentence } from '../../lib/format.js';
import { TagEditor } from '../../components/TagEditor.js';
import { DataSection, dataFlags } from './DataSection.js';
import { Estimate } from './Estimate.js';
import { evalEveryOff, evalEveryRequest, type EvalEveryForm } from './eval-every.js';
import { EvalEveryFields } from './EvalEveryFields.js';
import { FlagField } from './FlagField.js';
import { binder, workbenchFlags, type FormState } from './flag-form.js';
import { LrCurve } from './LrCurve.js';
import { Issues, PlanFigures } from './PlanSummary.js';
import { usePlan } from './use-plan.js';
import './launch.css';

/** Fields the wizard lays out itself; every other flag of the registry is under "All flags". */
const shown = new Set([
  'num-layers',
  'hidden-size',
  'num-experts',
  'top-k',
  'num-kv-heads',
  'head-dim',
  'intermediate-size',
  'vocab-size',
  'max-seq-len',
  'dtype',
  'micro-batch-size',
  'grad-accum-steps',
  'seq-len',
  'max-steps',
  'train-tokens',
  'lr',
  'min-lr',
  'warmup-steps',
  'decay-form',
  'decay-steps',
  'decay-start-steps',
  ...dataFlags,
  'log-every',
  'router-stats-every',
  'checkpoint-every',
  'keep-checkpoints',
  'keep-every-tokens',
  'keep-best-val',
  'seed',
]);

/** The launch wizard: where, what model, how long, on what data, at what cost; checked by the trainer. */
export function LaunchPage() {
  const api = useApi();
  const { location, navigate } = useRouter();
  const nodes = useNodes();
  const [presets] = useRequest('config:presets', {});
  const [flagsReq] = useRequest('config:flags', {});
  const [info] = useRequest('app:info', {});
  const [presetName, setPresetName] = useState<string | null>(location.query.get('preset'));
  const [nodeId, setNodeId] = useState(location.query.get('node') ?? 'local');
  const [overrides, setOverrides] = useState<Record<string, string>>({});
  const [name, setName] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const [notes, setNotes] = useState('');
  const [launching, setLaunching] = useState(false);
  const [launchError, setLaunchError] = useState<WorkbenchError | null>(null);
  const [lastOk, setLastOk] = useState<PlanOk | null>(null);
  const [evalForm, setEvalForm] = useState<EvalEveryForm>(evalEveryOff);
  const nameId = useId();
  const notesId = useId();
  const from = location.query.get('from');

  // "Launch similar": start from another run's preset and changes.
  useEffect(() => {
    if (!from) return;
    api.invoke('runs:get', { runId: from }).then(
      (r) => {
        if (r.preset) setPresetName(r.preset);
        setOverrides(r.overrides);
        setTags(r.tags);
        setNodeId(r.nodeId);
        setName(`${r.name} (again)`);
        if (r.evalEvery)
          setEvalForm({
            tokens: String(r.evalEvery.tokens),
            kind: r.evalEvery.kind,
            tasks: r.evalEvery.tasks.join(', '),
            limit: r.evalEvery.limit ? String(r.evalEvery.limit) : '',
          });
      },
      () => undefined,
    );
  }, [api, from]);

  const presetList = presets.status === 'ok' ? presets.value : [];
  useEffect(() => {
    if (presetName === null && presetList.length) setPresetName(presetList[0]!.name);
  }, [presetName, presetList]);
  const preset: PresetInfo | null = presetList.find((p) => p.name === presetName) ?? null;
  const specs = useMemo(
    () => new Map<string, FlagSpec>((flagsReq.status === 'ok' ? flagsReq.value : []).map((f) => [f.name, f])),
    [flagsReq],
  );
  const node = nodes?.find((n) => n.id === nodeId) ?? null;
  const worldSize = 1;
  // "auto" means CUDA when the node has it: size memory for the device the run will really get.
  const localCpu =
    node?.kind === 'local' &&
    info.status === 'ok' &&
    !(info.value.trainer.state === 'ready' && info.value.trainer.version.cuda_available);
  const planOverrides = localCpu && !('device' in overrides) ? { ...overrides, device: 'cpu' } : overrides;
  const { plan, pending, error: planError } = usePlan(presetName, planOverrides, worldSize);
  useEffect(() => {
    if (plan?.ok) setLastOk(plan);
  }, [plan]);

  const issues = plan && !plan.ok ? plan.errors : [];
  const form: FormState = { overrides, resolved: lastOk?.config ?? null, preset, specs, issues };
  const set = (flag: string, value: string | null): void =>
    setOverrides((o) => {
      const next = { ...o };
      if (value === null) delete next[flag];
      else next[flag] = value;
      return next;
    });
  const bind = binder(form, set);
  const byTokens = !['0', ''].includes(bind('train-tokens', '').value);
  const evalEvery = evalEveryRequest(evalForm);
  const gpus = node?.kind === 'ssh' ? 1 : 0;

  const otherFlags = [...specs.values()].filter((f) => !shown.has(f.name) && !workbenchFlags.has(f.name));
  const extraData = otherFlags.filter((f) => f.group === 'data');
  const advanced = otherFlags.filter((f) => f.group !== 'data');
  const fieldFlags = new Set([...shown, ...otherFlags.map((f) => f.name)]);
  const looseIssues = issues.filter(
    (i) =>
      !i.flag ||
      !fieldFlags.has(i.flag) ||
      (i.flag === 'train-tokens' && !byTokens) ||
      (i.flag === 'max-steps' && byTokens),
  );
  const canLaunch = !!plan?.ok && !pending && !launching && !!presetName && !evalEvery.error;

  const launch = (): void => {
    if (!presetName) return;
    setLaunching(true);
    setLaunchError(null);
    api
      .invoke('runs:launch', {
        nodeId,
        preset: presetName,
        overrides,
        ...(name.trim() ? { name: name.trim() } : {}),
        tags,
        notes,
        ...(evalEvery.value ? { evalEvery: evalEvery.value } : {}),
      })
      .then(
        ({ run }) => navigate(`/runs/${encodeURIComponent(run.id)}`),
        (e: WorkbenchError) => {
          setLaunchError(e);
          setLaunching(false);
        },
      );
  };

  return (
    <div className="page launch" data-testid="launch-page">
      <header className="page-header">
        <div>
          <h1>Launch a run</h1>
          <p className="subtle">
            Every number on this page comes from the trainer itself (<code>moetrain plan</code>), recomputed as you
            type.
          </p>
        </div>
      </header>
      {presets.status === 'error' && <ErrorNotice error={presets.error} />}
      <div className="launch-grid">
        <form
          className="launch-form"
          aria-label="Run configuration"
          onSubmit={(e) => {
            e.preventDefault();
            if (canLaunch) launch();
          }}
        >
          <fieldset className="card">
            <legend>Where and what</legend>
            <div className="field-grid">
              <div className="field">
                <label htmlFor="launch-node">Node</label>
                <select id="launch-node" value={nodeId} onChange={(e) => setNodeId(e.target.value)}>
                  {(nodes ?? []).map((n) => (
                    <option key={n.id} value={n.id}>
                      {n.name}
                      {n.kind === 'ssh' ? ` (${n.user ? `${n.user}@` : ''}${n.host})` : ''}
                    </option>
                  ))}
                </select>
                <p className="field-help">
                  {node?.kind === 'ssh'
                    ? 'Runs on one GPU of this node; deploy the trainer there first.'
                    : 'The trainer on this computer (CPU unless it has a GPU).'}
                </p>
              </div>
              <div className="field">
                <label htmlFor="launch-preset">Preset</label>
                <select
                  id="launch-preset"
                  value={presetName ?? ''}
                  onChange={(e) => {
                    setPresetName(e.target.value);
                    setOverrides({});
                  }}
                >
                  {presetList.map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name}
                    </option>
                  ))}
                </select>
                {preset && (
                  <p className="field-help" title={preset.description}>
                    {firstSentence(preset.description)}
                  </p>
                )}
              </div>
              <div className="field">
                <label htmlFor={nameId}>Run name</label>
                <input
                  id={nameId}
                  value={name}
                  placeholder={presetName ? `${presetName} …` : ''}
                  maxLength={200}
                  onChange={(e) => setName(e.target.value)}
                />
              </div>
            </div>
          </fieldset>

          <fieldset className="card">
            <legend>Architecture</legend>
            <div className="field-grid">
              <FlagField {...bind('num-layers', 'Layers')} />
              <FlagField {...bind('hidden-size', 'Hidden size')} />
              <FlagField {...bind('num-experts', 'Experts per router')} />
              <FlagField {...bind('top-k', 'Top-k')} />
              <FlagField {...bind('num-kv-heads', 'KV heads')} />
              <FlagField {...bind('head-dim', 'Head dim')} />
              <FlagField {...bind('intermediate-size', 'Expert intermediate size')} />
              <FlagField {...bind('vocab-size', 'Vocabulary')} />
              <FlagField {...bind('max-seq-len', 'Max sequence length')} />
              <FlagField {...bind('dtype', 'Precision')} />
            </div>
          </fieldset>

          <fieldset className="card">
            <legend>Batch and length</legend>
            <div className="field-grid">
              <FlagField {...bind('seq-len', 'Sequence length')} suffix="tokens" />
              <FlagField {...bind('micro-batch-size', 'Micro-batch')} suffix="sequences" />
              <FlagField {...bind('grad-accum-steps', 'Gradient accumulation')} suffix="micro-batches" />
              <div className="field">
                <span className="field-label" id="len-mode">
                  Run length in
                </span>
                <div className="segmented" role="radiogroup" aria-labelledby="len-mode">
                  <button
                    type="button"
                    role="radio"
                    aria-checked={!byTokens}
                    className={!byTokens ? 'active' : ''}
                    onClick={() => {
                      const steps = lastOk?.totalSteps ?? 1000;
                      setOverrides((o) => ({ ...o, 'train-tokens': '0', 'max-steps': String(steps) }));
                    }}
                  >
                    Steps
                  </button>
                  <button
                    type="button"
                    role="radio"
                    aria-checked={byTokens}
                    className={byTokens ? 'active' : ''}
                    onClick={() => {
                      const tokens = lastOk?.totalTokens ?? 1_000_000;
                      setOverrides((o) => ({ ...o, 'max-steps': '0', 'train-tokens': String(tokens) }));
                    }}
                  >
                    Tokens
                  </button>
                </div>
              </div>
              {byTokens ? (
                <FlagField {...bind('train-tokens', 'Train tokens')} help="Accepts suffixes: 50M, 10B, 1.25T." />
              ) : (
                <FlagField {...bind('max-steps', 'Optimizer steps')} />
              )}
            </div>
          </fieldset>

          <fieldset className="card">
            <legend>Learning-rate schedule (warmup, stable, decay)</legend>
            <div className="field-grid">
              <FlagField {...bind('lr', 'Peak learning rate')} />
              <FlagField {...bind('min-lr', 'Floor')} />
              <FlagField {...bind('warmup-steps', 'Warmup')} suffix="steps" />
              <FlagField {...bind('decay-form', 'Decay shape')} />
              <FlagField {...bind('decay-steps', 'Decay length')} suffix="steps" />
              <FlagField {...bind('decay-start-steps', 'Decay starts at')} suffix="step or auto" />
            </div>
            {lastOk && <LrCurve plan={lastOk} />}
          </fieldset>

          <DataSection bind={bind} set={set} issues={issues} extraData={extraData} />

          <fieldset className="card">
            <legend>Logging, checkpoints and evaluation</legend>
            <div className="field-grid">
              <FlagField {...bind('log-every', 'Log every')} suffix="steps" />
              <FlagField {...bind('router-stats-every', 'Router stats every')} suffix="steps" />
              <FlagField {...bind('checkpoint-every', 'Checkpoint every')} suffix="steps" />
              <FlagField {...bind('keep-checkpoints', 'Keep checkpoints')} help="The newest N checkpoints are kept." />
              <FlagField {...bind('keep-every-tokens', 'Also keep one every')} suffix="tokens" />
              <FlagField {...bind('keep-best-val', 'Also keep the best by validation loss')} />
              <FlagField {...bind('seed', 'Seed')} />
            </div>
            <EvalEveryFields form={evalForm} onChange={setEvalForm} error={evalEvery.error} />
          </fieldset>

          {advanced.length > 0 && (
            <details className="card">
              <summary>
                All other flags <span className="muted">({advanced.length})</span>
              </summary>
              <div className="field-grid">
                {advanced.map((f) => (
                  <FlagField key={f.name} {...bind(f.name, f.name)} />
                ))}
              </div>
            </details>
          )}

          <fieldset className="card">
            <legend>Notes</legend>
            <TagEditor tags={tags} onChange={setTags} />
            <label htmlFor={notesId}>Notes</label>
            <textarea
              id={notesId}
              rows={2}
              value={notes}
              onChange={(e) => setNotes(e.target.value)}
              placeholder="What is this run for?"
            />
          </fieldset>
        </form>

        <aside className="launch-side" aria-label="Plan">
          <div className="card sticky">
            <p
              className="plan-status"
              role="status"
              data-testid="plan-status"
              data-state={pending ? 'pending' : plan?.ok ? 'ok' : 'invalid'}
            >
              {pending
                ? 'Checking with the trainer…'
                : plan?.ok
                  ? 'The trainer accepts this configuration'
                  : plan
                    ? 'Fix the marked fields'
                    : ''}
            </p>
            {planError && <ErrorNotice error={planError} />}
            <Issues issues={looseIssues} />
            {lastOk && <PlanFigures plan={lastOk} />}
            {lastOk && presetName && <Estimate plan={lastOk} nodeId={nodeId} preset={presetName} gpus={gpus} />}
            {lastOk?.warnings.length ? (
              <ul className="warnings">
                {lastOk.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            ) : null}
            {launchError && <ErrorNotice error={launchError} />}
            <button type="button" className="button primary wide" disabled={!canLaunch} onClick={launch}>
              {launching ? 'Launching…' : `Launch on ${node?.name ?? 'node'}`}
            </button>
          </div>
        </aside>
      </div>
    </div>
  );
}
