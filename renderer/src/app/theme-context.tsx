import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import { applyTheme, effectiveTheme, storedTheme, type ThemeChoice } from './theme.js';

/** Colours charts draw with (SVG attributes cannot read CSS variables). */
export interface Palette {
  text: string;
  muted: string;
  grid: string;
  accent: string;
  band: string;
  raw: string;
  series: string[];
  neutral: [number, number, number];
  panel: string;
}

const light: Palette = {
  text: '#1d2430',
  muted: '#5b6574',
  grid: '#e3e7ec',
  accent: '#2f5d8a',
  band: '#2f5d8a',
  raw: '#9db4cc',
  series: ['#2f6fb0', '#d55e00', '#009e73', '#cc79a7', '#b8860b', '#56b4e9', '#7a5195', '#666666'],
  neutral: [240, 240, 236],
  panel: '#ffffff',
};

const dark: Palette = {
  text: '#e4e8ee',
  muted: '#9aa4b2',
  grid: '#2c323c',
  accent: '#7fb0e0',
  band: '#7fb0e0',
  raw: '#4a6076',
  series: ['#6fa8e6', '#f08a4b', '#3cc79a', '#e39ac7', '#e0b04f', '#8fd0f5', '#b69ae0', '#a0a0a0'],
  neutral: [58, 62, 70],
  panel: '#1c2027',
};

interface ThemeValue {
  choice: ThemeChoice;
  theme: 'light' | 'dark';
  palette: Palette;
  setChoice: (c: ThemeChoice) => void;
}

const ThemeContext = createContext<ThemeValue | null>(null);

/** Applies the stored theme choice and follows the system theme while the choice is "system". */
export function ThemeProvider({ children }: { children: React.ReactNode }) {
  const [choice, setChoiceState] = useState<ThemeChoice>(storedTheme);
  const [theme, setTheme] = useState<'light' | 'dark'>(() => effectiveTheme(storedTheme()));
  useEffect(() => {
    applyTheme(choice);
    setTheme(effectiveTheme(choice));
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = (): void => setTheme(effectiveTheme(choice));
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, [choice]);
  const value = useMemo(
    () => ({ choice, theme, palette: theme === 'dark' ? dark : light, setChoice: setChoiceState }),
    [choice, theme],
  );
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

/** The theme in effect and its chart palette. */
export function useTheme(): ThemeValue {
  const t = useContext(ThemeContext);
  if (!t) throw new Error('useTheme used outside ThemeProvider');
  return t;
}
