// Lint and layering: `npm run lint` (CI runs it before the tests). The layers are the README's
// Layout table; a value import across a line below fails, so a wrong import fails CI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Forbids value imports from these project folders; `types` leaves type-only imports allowed. */
const layer = (files, forbidden, { types = true, also = [] } = {}) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: forbidden, allowTypeImports: types, message: 'a lower layer must not import this (see the Layout table in README.md)' },
          ...also,
        ],
      },
    ],
  },
});

const TEST_CODE = ['../test/*', '../../test/*'];
const OUTSIDE_THE_SANDBOX = {
  group: ['node:*', 'pg', 'grammy', 'grammy/*', 'onnxruntime-node', 'meyda', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
  message: 'workflow code runs in Temporal’s deterministic sandbox: only @temporalio/workflow, @temporalio/common and workflows/',
};

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'training/.venv/', 'bench/peers/seed/.venv/', 'training/evalreport/.venv/', 'test/artifacts/', 'scratch/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // workflows/: only types from the rest of the project, and nothing the sandbox cannot run.
  layer(['workflows/**/*.ts'], ['../*'], { also: [OUTSIDE_THE_SANDBOX] }),
  // The pure layers: audio/ stands alone, models/ reads audio/, db/ takes types from workflows/.
  layer(['audio/**/*.ts'], ['../*'], { types: false }),
  layer(['models/**/*.ts'], ['../*', '!../audio'], { types: false }),
  layer(['db/**/*.ts'], ['../*']),
  // What whycry says on Telegram and how: used by the bot and the worker, so it imports neither.
  layer(['telegram/**/*.ts'], ['../bot/*', '../activities/*', '../worker/*', '../commands/*', '../evaluation/*', ...TEST_CODE]),
  layer(['activities/**/*.ts'], ['../bot/*', '../worker/*', '../commands/*', '../evaluation/*', ...TEST_CODE]),
  layer(['worker/**/*.ts'], ['../bot/*', '../commands/*', '../evaluation/*', ...TEST_CODE]),
  // The model lifecycle's activities and rule: exports and checks from evaluation/, never the processes.
  layer(['lifecycle/**/*.ts'], ['../bot/*', '../worker/*', '../commands/*', '../activities/*', ...TEST_CODE]),
  layer(['bot/**/*.ts'], ['../activities/*', '../worker/*', '../commands/*', '../evaluation/*', ...TEST_CODE]),
  layer(['evaluation/**/*.ts'], ['../bot/*', '../worker/*', '../commands/*', ...TEST_CODE]),
  layer(['app/**/*.ts'], ['../bot/*', '../worker/*', '../commands/*', '../activities/*', '../evaluation/*', '../telegram/*', ...TEST_CODE]),
);
