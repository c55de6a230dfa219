import { useId, useState } from 'react';

/** Tags as removable chips plus a field to add one (Enter or comma adds). */
export function TagEditor({
  tags,
  onChange,
  label = 'Tags',
}: {
  tags: string[];
  onChange: (tags: string[]) => void;
  label?: string;
}) {
  const [draft, setDraft] = useState('');
  const id = useId();
  const add = (): void => {
    const t = draft.trim().replace(/,$/, '');
    if (t && !tags.includes(t)) onChange([...tags, t]);
    setDraft('');
  };
  return (
    <div className="tag-editor">
      <label htmlFor={id}>{label}</label>
      <ul className="tags" aria-label={`Current ${label.toLowerCase()}`}>
        {tags.map((t) => (
          <li key={t} className="tag">
            {t}
            <button
              type="button"
              className="tag-remove"
              aria-label={`Remove tag ${t}`}
              onClick={() => onChange(tags.filter((x) => x !== t))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        id={id}
        value={draft}
        placeholder="add a tag"
        maxLength={64}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ',') {
            e.preventDefault();
            add();
          }
        }}
        onBlur={add}
      />
    </div>
  );
}
