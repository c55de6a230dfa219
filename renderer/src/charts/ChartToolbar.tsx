import { useId } from 'react';
import type { XMode } from '../lib/axis.js';
import type { ChartView } from './MetricChart.js';

const xModes: { value: XMode; label: string }[] = [
  { value: 'step', label: 'Step' },
  { value: 'tokens', label: 'Tokens' },
  { value: 'time', label: 'Time' },
];

/** The controls every chart grid shares: x-axis, smoothing, log axes. */
export function ChartToolbar({
  view,
  onChange,
  modes = ['step', 'tokens', 'time'],
}: {
  view: ChartView;
  onChange: (v: ChartView) => void;
  modes?: XMode[];
}) {
  const smoothId = useId();
  return (
    <div className="toolbar" role="toolbar" aria-label="Chart options">
      <div className="segmented" role="radiogroup" aria-label="X axis">
        {xModes
          .filter((m) => modes.includes(m.value))
          .map((m) => (
            <button
              key={m.value}
              type="button"
              role="radio"
              aria-checked={view.xMode === m.value}
              className={view.xMode === m.value ? 'active' : ''}
              onClick={() => onChange({ ...view, xMode: m.value, xLog: m.value === 'time' ? false : view.xLog })}
            >
              {m.label}
            </button>
          ))}
      </div>
      <label className="slider" htmlFor={smoothId}>
        <span>Smoothing</span>
        <input
          id={smoothId}
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={view.smoothing}
          aria-valuetext={view.smoothing === 0 ? 'off' : view.smoothing.toFixed(2)}
          onChange={(e) => onChange({ ...view, smoothing: Number(e.target.value) })}
        />
        <output className="mono">{view.smoothing === 0 ? 'off' : view.smoothing.toFixed(2)}</output>
      </label>
      <label className="check">
        <input type="checkbox" checked={view.yLog} onChange={(e) => onChange({ ...view, yLog: e.target.checked })} />
        Log y
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={view.xLog}
          disabled={view.xMode === 'time'}
          onChange={(e) => onChange({ ...view, xLog: e.target.checked })}
        />
        Log x
      </label>
    </div>
  );
}
