import type { RouterLayerStats } from '../../../electron/contract/metrics.js';

/** A router problem worth a person's attention. */
export interface RouterAlert {
  level: 'warning' | 'error';
  layer: number;
  kind: string;
  /** Expert indices involved. */
  experts: number[];
  message: string;
}

/** Thresholds for alerts. */
export interface AlertThresholds {
  /** An expert taking more than this multiple of the mean load is overloaded. */
  overload: number;
}

/** Default thresholds: twice the fair share is overloaded. */
export const defaultThresholds: AlertThresholds = { overload: 2 };

const routerName = (kind: string): string => (kind === 'attn' ? 'attention' : kind === 'mlp' ? 'MLP' : kind);

/** Dead experts (no tokens in the window) and overloaded ones, per router, worst first. */
export function routerAlerts(
  layers: readonly RouterLayerStats[],
  t: AlertThresholds = defaultThresholds,
): RouterAlert[] {
  const alerts: RouterAlert[] = [];
  for (const l of layers) {
    const where = `Layer ${l.layer} ${routerName(l.kind)} router`;
    if (l.dead.length) {
      alerts.push({
        level: 'error',
        layer: l.layer,
        kind: l.kind,
        experts: [...l.dead],
        message: `${where}: expert${l.dead.length > 1 ? 's' : ''} ${l.dead.join(', ')} received no tokens (dead)`,
      });
    }
    const n = l.load.length;
    if (n > 0) {
      const mean = 1 / n;
      const over = l.load.map((v, e) => [v, e] as const).filter(([v]) => v > t.overload * mean);
      if (over.length) {
        const worst = Math.max(...over.map(([v]) => v));
        alerts.push({
          level: 'warning',
          layer: l.layer,
          kind: l.kind,
          experts: over.map(([, e]) => e),
          message:
            `${where}: expert${over.length > 1 ? 's' : ''} ${over.map(([, e]) => e).join(', ')} ` +
            `overloaded (${(worst / mean).toFixed(1)}× the mean load)`,
        });
      }
    }
  }
  return alerts.sort((a, b) => (a.level === b.level ? a.layer - b.layer : a.level === 'error' ? -1 : 1));
}

/** Router entropy as a fraction of its maximum ln(E): 1 = perfectly balanced, 0 = one expert takes all. */
export function normalisedEntropy(entropy: number | null, experts: number): number | null {
  if (entropy === null || experts < 2) return null;
  return entropy / Math.log(experts);
}
