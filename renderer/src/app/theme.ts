/** Light, dark, or whatever the system prefers; the choice is kept per browser profile. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const key = 'moe-workbench-theme';

/** The stored choice. */
export function storedTheme(): ThemeChoice {
  const v = localStorage.getItem(key);
  return v === 'light' || v === 'dark' ? v : 'system';
}

/** Applies a choice to the document (CSS reads `data-theme`; "system" defers to prefers-color-scheme). */
export function applyTheme(choice: ThemeChoice): void {
  if (choice === 'system') {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem(key);
  } else {
    document.documentElement.dataset.theme = choice;
    localStorage.setItem(key, choice);
  }
}

/** The theme in effect now. */
export function effectiveTheme(choice: ThemeChoice): 'light' | 'dark' {
  if (choice !== 'system') return choice;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}
