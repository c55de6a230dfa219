import { useEffect, useId, useMemo, useState } from 'react';
import type { CheckpointInfo } from '../../../../electron/contract/checkpoints.js';
import type { FlagSpec, PlanOk } from '../../../../electron/contract/config.js';
import type { WorkbenchError } from '../../../../electron/contract/errors.js';
import { decayForms, type ForkRequest, type RunDetail } from '../../../../electron/contract/runs.js';
import { useApi, useRequest } from '../../app/api-context.js';
import { useRouter } from '../../app/router.js';
import { Dialog } from '../../components/Dialog.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { annealPlanFlags, parseLength } from '../../lib/anneal.js';
import { asWorkbenchError } from '../../lib/errors.js';
import { firstSentence, formatCount, formatInteger } from '../../lib/format.js';
import { FlagField } from '../launch/FlagField.js';
import { binder, type FormState } from '../launch/flag-form.js';
import { LrCurve } from '../launch/LrCurve.js';
import { Issues } from '../launch/PlanSummary.js';
import { usePlan } from '../launch/use-plan.js';

/** Flags of the parent that describe where it came from, not what the fork should do. */
const lineageFlags = new Set(['fork-from', 'fork-optimizer']);

/**
 * "Fork…" and "Anneal from here…": a new run on the same node that starts from a checkpoint's weights,
 * with changed flags. An anneal decays the learning rate over the fork's whole length; the curve is the
 * trainer's own plan for exactly the flags the fork will get.
 */
export function ForkDialog({
  detail,
  checkpoint,
  mode,
  onClose,
}: {
  detail: RunDetail;
  checkpoint: CheckpointInfo;
  mode: 'fork' | 'anneal';
  onClose: () => void;
}) {
  const api = useApi();
  const { navigate } = useRouter();
  const [flagsReq] = useRequest('config:flags', {});
  const [presets] = useRequest('config:presets', {});
  const parentFlags = (detail.config.flags ?? {}) as Record<string, unknown>;
  const parentSteps = Number(parentFlags['max-steps']) || detail.lastStep || 100;
  const [name, setName] = useState(`${detail.name} ${mode === 'anneal' ? 'anneal' : 'fork'} @${checkpoint.step}`);
  const [changes, setChanges] = useState<Record<string, string>>({});
  const [forkOptimizer, setForkOptimizer] = useState(true);
  const [unit, setUnit] = useState<'steps' | 'tokens'>('steps');
  const [lengthText, setLengthText] = useState(String(Math.max(10, Math.round(parentSteps / 5))));
  const [form, setForm] = useState<string>('exponential');
  const [minLrText, setMinLrText] = useState(String(parentFlags['min-lr'] ?? '1e-5'));
  const [mix, setMix] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<WorkbenchError | null>(null);
  const [lastOk, setLastOk] = useState<PlanOk | null>(null);
  const ids = { name: useId(), len: useId(), unit: useId(), form: useId(), minLr: useId(), mix: useId(), opt: useId() };

  const specs = useMemo(
    () => new Map<string, FlagSpec>((flagsReq.status === 'ok' ? flagsReq.value : []).map((f) => [f.name, f])),
    [flagsReq],
  );
  // The fork's mixture is --data-mix; an anneal's phase-2 mixture is --data-mix-phase2 (read from its first step).
  const mixFlag = mode === 'anneal' ? 'data-mix-phase2' : 'data-mix';
  const hasMix = specs.has(mixFlag);
  const length = parseLength(lengthText);
  const minLr = Number(minLrText);
  const minLrOk = minLrText.trim() !== '' && Number.isFinite(minLr) && minLr > 0 && minLr <= 10;
  const anneal = mode === 'anneal' && length !== null && minLrOk ? { unit, length, form, minLr } : null;

  const base = Object.fromEntries(Object.entries(detail.overrides).filter(([k]) => !lineageFlags.has(k)));
  const planOverrides = {
    ...base,
    ...changes,
    ...(anneal ? annealPlanFlags(anneal) : {}),
    ...(hasMix && mix.trim() ? { [mixFlag]: mix.trim() } : {}),
  };
  const { plan, pending, error: planError } = usePlan(detail.preset, planOverrides, 1);
  useEffect(() => {
    if (plan?.ok) setLastOk(plan);
  }, [plan]);
  const issues = plan && !plan.ok ? plan.errors : [];
  const preset = presets.status === 'ok' ? (presets.value.find((p) => p.name === detail.preset) ?? null) : null;
  const state: FormState = {
    overrides: { ...base, ...changes },
    resolved: lastOk?.config ?? null,
    preset,
    specs,
    issues,
  };
  const set = (flag: string, value: string | null): void =>
    setChanges((o) => {
      const next = { ...o };
      if (value === null) delete next[flag];
      else next[flag] = value;
      return next;
    });
  const bind = (flag: string, label: string) => ({ ...binder(state, set)(flag, label), overridden: flag in changes });

  const annealProblem =
    mode !== 'anneal'
      ? null
      : length === null
        ? 'Give the decay length as a positive whole number (10k, 2M also work).'
        : !minLrOk
          ? 'Give the minimum learning rate as a positive number such as 1e-5.'
          : null;
  const canSubmit =
    !!detail.preset && !!plan?.ok && !pending && !submitting && annealProblem === null && name.trim() !== '';

  const submit = (): void => {
    if (!canSubmit) return;
    setSubmitting(true);
    setSubmitError(null);
    const req: ForkRequest = {
      runId: detail.id,
      checkpointId: checkpoint.id,
      name: name.trim(),
      overrides: changes,
      forkOptimizer,
    };
    if (mode === 'anneal' && anneal) {
      req.anneal = {
        ...(anneal.unit === 'steps' ? { decaySteps: anneal.length } : { decayTokens: anneal.length }),
        form: anneal.form as (typeof decayForms)[number],
        minLr: anneal.minLr,
        ...(hasMix && mix.trim() ? { dataMixPhase2: mix.trim() } : {}),
      };
    } else if (hasMix && mix.trim()) req.dataMix = mix.trim();
    api.invoke('runs:fork', req).then(
      ({ run }) => navigate(`/runs/${encodeURIComponent(run.id)}`),
      (e: unknown) => {
        setSubmitting(false);
        setSubmitError(asWorkbenchError(e));
      },
    );
  };

  const title =
    mode === 'anneal'
      ? `Anneal from step ${formatInteger(checkpoint.step)}`
      : `Fork from step ${formatInteger(checkpoint.step)}`;
  return (
    <Dialog open title={title} onClose={onClose} wide>
      <form
        className="fork-form"
        aria-label={mode === 'anneal' ? 'Anneal settings' : 'Fork settings'}
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <p className="hint small">
          A new run on the same node starting from the weights of {detail.name} at step {formatInteger(checkpoint.step)}{' '}
          ({formatCount(checkpoint.tokens)} tokens), with its flags and the changes below.
          {mode === 'anneal'
            ? ' The learning rate decays from the peak to the minimum over the whole new run (no warmup),' +
              ' as in the second phase of JetMoE’s schedule.'
            : ''}
        </p>
        {!detail.preset && (
          <p className="status-bad">This run has no preset, so it cannot be forked; launch a new run instead.</p>
        )}
        <div className="fork-grid">
          <div className="fork-fields">
            <div className="field">
              <label htmlFor={ids.name}>Name of the new run</label>
              <input id={ids.name} value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
            </div>
            {mode === 'anneal' ? (
              <fieldset className="inline-fields">
                <legend>Anneal</legend>
                <div className="field">
                  <label htmlFor={ids.len}>Decay length</label>
                  <div className="field-input">
                    <input
                      id={ids.len}
                      value={lengthText}
                      inputMode="decimal"
                      aria-invalid={length === null ? true : undefined}
                      onChange={(e) => setLengthText(e.target.value)}
                    />
                    <select
                      id={ids.unit}
                      aria-label="Decay length unit"
                      value={unit}
                      onChange={(e) => setUnit(e.target.value as 'steps' | 'tokens')}
                    >
                      <option value="steps">steps</option>
                      <option value="tokens">tokens</option>
                    </select>
                  </div>
                  <p className="field-help">The new run’s whole length.</p>
                </div>
                <div className="field">
                  <label htmlFor={ids.form}>Decay form</label>
                  <select id={ids.form} value={form} onChange={(e) => setForm(e.target.value)}>
                    {decayForms.map((f) => (
                      <option key={f} value={f}>
                        {f}
                      </option>
                    ))}
                  </select>
                  <p className="field-help">
                    <code className="field-flag">--decay-form</code>
                  </p>
                </div>
                <div className="field">
                  <label htmlFor={ids.minLr}>Minimum learning rate</label>
                  <input
                    id={ids.minLr}
                    value={minLrText}
                    inputMode="decimal"
                    aria-invalid={!minLrOk ? true : undefined}
                    onChange={(e) => setMinLrText(e.target.value.trim())}
                  />
                  <p className="field-help">
                    <code className="field-flag">--min-lr</code> reached at the last step.
                  </p>
                </div>
                <FlagField {...bind('lr', 'Peak learning rate (start)')} />
              </fieldset>
            ) : (
              <fieldset className="inline-fields">
                <legend>Changes</legend>
                <FlagField {...bind('max-steps', 'Steps')} />
                <FlagField {...bind('lr', 'Peak learning rate')} />
                <FlagField {...bind('min-lr', 'Minimum learning rate')} />
                <FlagField {...bind('warmup-steps', 'Warmup steps')} />
                <FlagField {...bind('decay-steps', 'Decay steps')} />
                <FlagField {...bind('decay-form', 'Decay form')} />
              </fieldset>
            )}
            <fieldset className="inline-fields">
              <legend>Logging and checkpoints</legend>
              <FlagField {...bind('checkpoint-every', 'Checkpoint every')} suffix="steps" />
              <FlagField {...bind('val-every', 'Validate every')} suffix="steps" />
              <FlagField {...bind('log-every', 'Log every')} suffix="steps" />
            </fieldset>
            {hasMix && (
              <div className="field">
                <label htmlFor={ids.mix}>{mode === 'anneal' ? 'Phase-2 data mixture' : 'Data mixture'}</label>
                <input
                  id={ids.mix}
                  value={mix}
                  placeholder={String(parentFlags[mixFlag] ?? parentFlags['data-mix'] ?? '')}
                  onChange={(e) => setMix(e.target.value)}
                />
                <p className="field-help">
                  <code className="field-flag">--{mixFlag}</code> {firstSentence(specs.get(mixFlag)?.help ?? '')}
                </p>
              </div>
            )}
            <label className="check">
              <input
                id={ids.opt}
                type="checkbox"
                checked={forkOptimizer}
                onChange={(e) => setForkOptimizer(e.target.checked)}
              />
              <span>
                Take over the optimizer state (AdamW moments) <code className="field-flag">--fork-optimizer</code>
              </span>
            </label>
          </div>
          <div className="fork-side">
            {lastOk ? <LrCurve plan={lastOk} /> : <p className="hint small">Asking the trainer for the schedule…</p>}
            <p className="plan-status small" role="status">
              {pending
                ? 'Checking with the trainer…'
                : plan?.ok
                  ? `${formatInteger(plan.totalSteps)} steps, ${formatCount(plan.totalTokens)} tokens.`
                  : ''}
            </p>
            {issues.length > 0 && <Issues issues={issues} />}
            {annealProblem && <p className="field-error">{annealProblem}</p>}
            {planError && <ErrorNotice error={planError} />}
          </div>
        </div>
        {submitError && <ErrorNotice error={submitError} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!canSubmit}>
            {submitting ? 'Starting…' : mode === 'anneal' ? 'Start the anneal' : 'Start the fork'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
