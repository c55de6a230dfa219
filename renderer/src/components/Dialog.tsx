import { useEffect, useId, useRef } from 'react';

/**
 * A modal dialog on the native <dialog> element: the browser traps focus, Escape closes it, and the
 * page behind is inert. `title` names it for assistive technology.
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
  tone,
  wide,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: React.ReactNode;
  tone?: 'danger';
  /** For dialogs with a form and a chart side by side. */
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`dialog${tone === 'danger' ? ' dialog-danger' : ''}${wide ? ' dialog-wide' : ''}`}
      aria-labelledby={titleId}
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {open && children}
    </dialog>
  );
}
