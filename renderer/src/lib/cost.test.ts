import { describe, expect, it } from 'vitest';
import { estimateRun, etaSeconds, stepsPerSecond, throughputAtMfu } from './cost.js';

describe('cost and time', () => {
  it('multiplies GPUs, hours and price', () => {
    const e = estimateRun(3_600_000, 1000, 8, 2.5);
    expect(e.seconds).toBe(3600);
    expect(e.gpuHours).toBe(8);
    expect(e.dollars).toBe(20);
  });

  it('has no estimate without a throughput, and no cost without a price', () => {
    expect(estimateRun(1000, null, 1, 1)).toEqual({ seconds: null, gpuHours: null, dollars: null });
    expect(estimateRun(1000, 10, 1, null).dollars).toBeNull();
    expect(estimateRun(1000, 10, 0, 3).dollars).toBe(0);
  });

  it('derives throughput from MFU', () => {
    expect(throughputAtMfu(1e9, 8, 1e15, 0.4)).toBeCloseTo(3.2e6);
    expect(throughputAtMfu(0, 1, 1, 1)).toBeNull();
  });

  it('estimates the remaining time from the recent pace', () => {
    const samples = [
      { step: 10, time: 100 },
      { step: 20, time: 105 },
      { step: 30, time: 110 },
    ];
    expect(stepsPerSecond(samples)).toBe(2);
    expect(etaSeconds(30, 130, 2)).toBe(50);
    expect(etaSeconds(200, 130, 2)).toBe(0);
    expect(stepsPerSecond([{ step: 1, time: null }])).toBeNull();
  });
});
