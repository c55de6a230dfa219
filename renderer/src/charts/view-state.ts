import { useEffect, useState } from 'react';
import type { ChartView } from './MetricChart.js';

const key = 'moe-workbench-chart-view';
const initial: ChartView = { xMode: 'step', yLog: false, xLog: false, smoothing: 0.6 };

/** Chart options, remembered across pages and reloads. */
export function useChartView(): [ChartView, (v: ChartView) => void] {
  const [view, setView] = useState<ChartView>(() => {
    try {
      const raw = JSON.parse(localStorage.getItem(key) ?? 'null') as Partial<ChartView> | null;
      return raw ? { ...initial, ...raw } : initial;
    } catch {
      return initial;
    }
  });
  useEffect(() => localStorage.setItem(key, JSON.stringify(view)), [view]);
  return [view, setView];
}
