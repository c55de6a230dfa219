import { describe, expect, it } from 'vitest';
import type { RouterLayerStats } from '../../../electron/contract/metrics.js';
import { loadColor, textOn } from './color.js';
import { normalisedEntropy, routerAlerts } from './router-alerts.js';

const layer = (layerNo: number, kind: string, load: number[], dead: number[] = []): RouterLayerStats => ({
  layer: layerNo,
  kind,
  load,
  importance: null,
  cv: null,
  maxOverMean: null,
  entropy: null,
  dead,
  byDomain: null,
});

describe('router alerts', () => {
  it('reports dead experts before overloaded ones', () => {
    const alerts = routerAlerts([
      layer(0, 'mlp', [0.25, 0.25, 0.25, 0.25]),
      layer(1, 'attn', [0.6, 0.4, 0, 0], [2, 3]),
      layer(2, 'mlp', [0.7, 0.1, 0.1, 0.1]),
    ]);
    expect(alerts.map((a) => [a.level, a.layer, a.experts])).toEqual([
      ['error', 1, [2, 3]],
      ['warning', 1, [0]],
      ['warning', 2, [0]],
    ]);
    expect(alerts[0]!.message).toBe('Layer 1 attention router: experts 2, 3 received no tokens (dead)');
    expect(alerts[2]!.message).toContain('2.8× the mean load');
  });

  it('stays quiet for a balanced router', () => {
    expect(routerAlerts([layer(0, 'mlp', [0.3, 0.2, 0.26, 0.24])])).toEqual([]);
  });

  it('normalises entropy by ln E', () => {
    expect(normalisedEntropy(Math.log(4), 4)).toBeCloseTo(1);
    expect(normalisedEntropy(null, 4)).toBeNull();
  });
});

describe('heatmap colours', () => {
  it('is neutral at the fair share and moves apart symmetrically on a log scale', () => {
    const neutral: [number, number, number] = [240, 240, 236];
    expect(loadColor(1, neutral)).toBe('#f0f0ec');
    expect(loadColor(3, neutral)).toBe('#cb442a');
    expect(loadColor(1 / 3, neutral)).toBe('#3168af');
    expect(loadColor(0, neutral)).toBe('#3168af');
  });

  it('picks readable text', () => {
    expect(textOn('#f0f0ec')).toBe('#111111');
    expect(textOn('#3168af')).toBe('#ffffff');
  });
});
