import js from '@eslint/js';
import globals from 'globals';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// The layering rules of the workbench, enforced here rather than by goodwill.
const forbiddenInRenderer = {
  paths: [
    ...nodeBuiltins.map((name) => ({ name, message: 'The renderer runs in a browser sandbox: no Node built-ins.' })),
    { name: 'electron', message: 'The renderer talks only to the api object (electron/contract).' },
    { name: 'ssh2', message: 'SSH lives in electron/services.' },
    { name: 'better-sqlite3', message: 'The database lives in electron/services.' },
  ],
  patterns: [
    { group: ['**/electron/services', '**/electron/services/**'], message: 'Use the api object, not services.' },
    {
      group: [
        '**/electron/main/**',
        '**/electron/preload/**',
        '**/electron/host/**',
        '**/electron/startup/**',
        '**/electron/app/**',
        '**/electron/cli/**',
      ],
      message: 'The renderer imports only electron/contract.',
    },
  ],
};

const onlyMainImportsElectron = {
  name: 'electron',
  message: 'Only electron/main and electron/preload may import electron.',
};
// The browser host and the start-up are leaves: what the entry points share (paths, CSP, static files) lives
// in electron/app; only the start-up reaches into the host, and only through its entry point.
const hostInternals = {
  group: ['**/host/**'],
  message:
    'Only electron/startup may use the browser host, through electron/host/main; shared code lives in electron/app.',
};
const startup = {
  group: ['**/startup/**'],
  message: 'Nothing imports the start-up; shared code lives in electron/app.',
};
const cli = { group: ['**/cli/**'], message: 'Nothing imports the CLI; shared code lives in electron/app.' };
const importRules = (patterns, paths = [onlyMainImportsElectron]) => ({
  'no-restricted-imports': ['error', { paths, patterns }],
});

export default tseslint.config(
  { ignores: ['build/**', 'node_modules/**', 'native/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Prettier breaks code at 120 columns but not strings, templates or comments; fold those by hand.
      'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    files: ['electron/**/*.ts', 'e2e/**/*.ts', '*.config.ts'],
    ignores: ['electron/main/**', 'electron/preload/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [onlyMainImportsElectron] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', forbiddenInRenderer] },
  },
  {
    files: ['electron/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...forbiddenInRenderer.paths],
          patterns: [
            {
              group: [
                '**/services/**',
                '**/main/**',
                '**/preload/**',
                '**/host/**',
                '**/startup/**',
                '**/app/**',
                '**/cli/**',
              ],
              message: 'The contract is pure TypeScript shared with the renderer.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Services run in plain Node; pass paths, clocks and secrets in.' }],
          patterns: [
            {
              group: ['**/main/**', '**/preload/**', '**/host/**', '**/startup/**', '**/app/**', '**/cli/**'],
              message: 'Services do not depend on their hosts; paths, clocks and secrets are passed in.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/main/**/*.ts', 'electron/preload/**/*.ts'],
    rules: importRules([hostInternals, startup, cli], []),
  },
  {
    files: ['electron/cli/**/*.ts'],
    rules: importRules([hostInternals, startup]),
  },
  {
    files: ['electron/host/**/*.ts'],
    rules: importRules([
      startup,
      cli,
      { group: ['**/main/**', '**/preload/**'], message: 'Browser mode does not use the desktop app.' },
    ]),
  },
  {
    files: ['electron/startup/**/*.ts'],
    rules: importRules([{ ...hostInternals, group: ['**/host/**', '!**/host/main.js'] }, cli]),
  },
  {
    files: ['electron/app/**/*.ts'],
    rules: importRules([
      {
        group: ['**/main/**', '**/preload/**', '**/host/**', '**/startup/**', '**/cli/**', '**/services/**'],
        message: 'electron/app is shared by the entry points and depends on none of them, nor on the services.',
      },
    ]),
  },
);
