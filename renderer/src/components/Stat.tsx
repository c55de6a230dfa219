/** One number with its label, as the summary rows show them. */
export function Stat({
  label,
  value,
  detail,
  testId,
}: {
  label: string;
  value: React.ReactNode;
  detail?: React.ReactNode;
  testId?: string;
}) {
  return (
    <div className="stat">
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value" data-testid={testId}>
        {value}
      </dd>
      {detail !== undefined && <dd className="stat-detail">{detail}</dd>}
    </div>
  );
}

/** A row of stats. */
export function StatRow({ children, label }: { children: React.ReactNode; label: string }) {
  return (
    <dl className="stat-row" aria-label={label}>
      {children}
    </dl>
  );
}
