import { useEffect, useRef, useState } from 'react';
import type { PlanResult } from '../../../../electron/contract/config.js';
import { WorkbenchError } from '../../../../electron/contract/errors.js';
import { useApi } from '../../app/api-context.js';
import { useDebounced } from '../../app/hooks.js';

/** The trainer's plan for the wizard's current configuration, asked 250 ms after the last edit. */
export function usePlan(
  preset: string | null,
  overrides: Record<string, string>,
  worldSize: number,
): { plan: PlanResult | null; pending: boolean; error: WorkbenchError | null } {
  const api = useApi();
  const key = JSON.stringify({ preset, overrides, worldSize });
  const debounced = useDebounced(key, 250);
  const [plan, setPlan] = useState<PlanResult | null>(null);
  const [answered, setAnswered] = useState<string | null>(null);
  const [error, setError] = useState<WorkbenchError | null>(null);
  const latest = useRef(debounced);
  latest.current = debounced;
  useEffect(() => {
    const req = JSON.parse(debounced) as {
      preset: string | null;
      overrides: Record<string, string>;
      worldSize: number;
    };
    if (!req.preset) return;
    api
      .invoke('config:plan', {
        preset: req.preset,
        overrides: req.overrides,
        worldSize: req.worldSize,
        curvePoints: 240,
      })
      .then(
        (p) => {
          // Answers can overtake each other; only the newest request's answer counts.
          if (latest.current !== debounced) return;
          setPlan(p);
          setAnswered(debounced);
          setError(null);
        },
        (e: unknown) => {
          if (latest.current !== debounced) return;
          setAnswered(debounced);
          setError(e instanceof WorkbenchError ? e : new WorkbenchError({ code: 'internal', message: String(e) }));
        },
      );
  }, [api, debounced]);
  return { plan, pending: answered !== key, error };
}
