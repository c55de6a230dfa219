import type { RunDetail } from '../../../../electron/contract/runs.js';
import { formatBytes, formatDateTime, formatInteger, formatValue } from '../../lib/format.js';

/** The record of a run: its resolved flags, attempts, checkpoints, events and how far it was read. */
export function RunDetails({ detail }: { detail: RunDetail }) {
  const flags = (detail.config.flags ?? {}) as Record<string, unknown>;
  const sources = (detail.config.sources ?? {}) as Record<string, string>;
  return (
    <div className="details-grid">
      <section className="card" aria-labelledby="cfg-h">
        <h3 id="cfg-h">Configuration</h3>
        <p className="hint small">
          Preset <strong>{detail.preset ?? '—'}</strong>
          {Object.keys(detail.overrides).length
            ? `, ${Object.keys(detail.overrides).length} changed flag(s) in bold`
            : ''}
          .
        </p>
        <div className="table-wrap tall">
          <table className="table compact" aria-label="Resolved flags">
            <thead>
              <tr>
                <th scope="col">Flag</th>
                <th scope="col">Value</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(flags).map(([k, v]) => (
                <tr key={k} className={k in detail.overrides ? 'changed' : ''}>
                  <td className="mono">--{k}</td>
                  <td className="mono">{String(v)}</td>
                  <td className="muted">{sources[k] ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <div className="stack">
        <section className="card" aria-labelledby="att-h">
          <h3 id="att-h">Attempts</h3>
          {detail.attempts.length === 0 ? (
            <p className="hint">The trainer has not started yet.</p>
          ) : (
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Started</th>
                  <th scope="col">Resumed from</th>
                  <th scope="col">Ended</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {detail.attempts.map((a) => (
                  <tr key={a.attempt}>
                    <td>{a.attempt}</td>
                    <td>{formatDateTime(a.startedAt)}</td>
                    <td>{a.resumeStep !== null ? `step ${a.resumeStep}` : 'fresh start'}</td>
                    <td>{formatDateTime(a.endedAt)}</td>
                    <td>
                      {a.state ?? (a.exitCode !== null ? `exit ${a.exitCode}` : '—')}
                      {a.message ? `: ${a.message}` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card" aria-labelledby="ckpt-h">
          <h3 id="ckpt-h">Checkpoints</h3>
          {detail.checkpoints.length === 0 ? (
            <p className="hint">
              None yet (every <code>--checkpoint-every</code> steps, on stop, and at the end).
            </p>
          ) : (
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Step
                  </th>
                  <th scope="col" className="num">
                    Loss
                  </th>
                  <th scope="col" className="num">
                    Val loss
                  </th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col">Why</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {detail.checkpoints.map((c) => (
                  <tr key={c.id}>
                    <td className="num">{formatInteger(c.step)}</td>
                    <td className="num">{formatValue(c.loss)}</td>
                    <td className="num">{formatValue(c.valLoss)}</td>
                    <td className="num">{formatBytes(c.bytes)}</td>
                    <td>{c.reason ?? ''}</td>
                    <td>{c.status}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card" aria-labelledby="ev-h">
          <h3 id="ev-h">Events</h3>
          {detail.events.length === 0 ? (
            <p className="hint">Nothing notable.</p>
          ) : (
            <ul className="event-list">
              {detail.events.map((e, i) => (
                <li key={i}>
                  <span className="mono muted">{e.step !== null ? `step ${e.step}` : formatDateTime(e.time)}</span>{' '}
                  <strong>{e.type === 'event' ? e.kind : e.type === 'status' ? `status: ${e.kind}` : e.type}</strong>
                  {e.message ? ` — ${e.message}` : e.type === 'header' ? ` — attempt ${e.attempt} started` : ''}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="io-h">
          <h3 id="io-h">Metrics stream</h3>
          <dl className="facts">
            <dt>Read</dt>
            <dd>
              {formatInteger(detail.ingest.lines)} lines, {formatBytes(detail.ingest.byteOffset)}
            </dd>
            <dt>Skipped lines</dt>
            <dd>{detail.ingest.errorCount}</dd>
            {detail.ingest.blocked && (
              <>
                <dt>Stopped reading</dt>
                <dd className="status-bad">{detail.ingest.blocked}</dd>
              </>
            )}
            <dt>Run directory</dt>
            <dd className="mono">{detail.remoteDir}</dd>
          </dl>
        </section>
      </div>
    </div>
  );
}
