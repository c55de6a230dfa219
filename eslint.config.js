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
        '**/electron/launcher/**',
        '**/electron/cli/**',
      ],
      message: 'The renderer imports only electron/contract.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['build/**', 'node_modules/**', 'native/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['electron/**/*.ts', 'e2e/**/*.ts', '*.config.ts'],
    ignores: ['electron/main/**', 'electron/preload/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only electron/main and electron/preload may import electron.' }] },
      ],
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
              group: ['**/services/**', '**/main/**', '**/preload/**', '**/host/**', '**/launcher/**', '**/cli/**'],
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
              group: ['**/main/**', '**/preload/**', '**/host/**', '**/launcher/**'],
              message: 'Services do not depend on their hosts.',
            },
          ],
        },
      ],
    },
  },
);
