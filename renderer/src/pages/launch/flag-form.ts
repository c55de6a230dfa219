import type { FlagSpec, PlanIssue, PlanOk, PresetInfo } from '../../../../electron/contract/config.js';
import type { FieldProps } from './FlagField.js';

/** Flags the workbench sets itself for every run; never offered as fields. */
export const workbenchFlags = new Set([
  'preset',
  'flags-file',
  'presets-dir',
  'json',
  'help',
  'run-dir',
  'run-id',
  'resume',
]);

/** What the wizard knows to fill its fields: the trainer's answers and the user's changes. */
export interface FormState {
  overrides: Record<string, string>;
  /** The last configuration the trainer accepted (values stay put while a new edit is invalid). */
  resolved: PlanOk['config'] | null;
  preset: PresetInfo | null;
  specs: Map<string, FlagSpec>;
  issues: PlanIssue[];
}

/** The value a field shows: the user's change, else what the trainer resolved, else the preset, else the default. */
export function fieldValue(s: FormState, flag: string): string {
  if (flag in s.overrides) return s.overrides[flag]!;
  const r = s.resolved?.[flag];
  if (r !== undefined && r !== null) return String(r);
  const p = s.preset?.flags[flag];
  if (p !== undefined) return p;
  const d = s.specs.get(flag)?.default;
  return d === undefined || d === null ? '' : String(d);
}

/** Binds a field to a flag of the form. */
export function binder(s: FormState, set: (flag: string, value: string | null) => void) {
  return (flag: string, label: string, extra: Partial<FieldProps> = {}): FieldProps => ({
    flag,
    label,
    value: fieldValue(s, flag),
    overridden: flag in s.overrides,
    spec: s.specs.get(flag),
    issue: s.issues.find((i) => i.flag === flag),
    onChange: (v) => set(flag, v),
    onReset: () => set(flag, null),
    ...extra,
  });
}
