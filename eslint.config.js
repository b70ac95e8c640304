// ESLint flat config: typescript-eslint with type information, plus an import-cycle check.
// `npm run lint` runs it over src, test, bench, scripts and examples.

import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'eventdb-data/**', '.tmp/**'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // import-x reads a dependency only if its extension is listed and a parser is named for it; without these two
      // settings it skips every `.ts` file and `no-cycle` silently finds nothing.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Imports are written with `.js` suffixes (NodeNext) and point at `.ts` files: the TypeScript resolver maps them.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      // The two rules this config exists for: a promise is awaited, returned, or handed to `void`/`.catch`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // No module imports itself through a chain of others (type-only imports included: they still tie the layers together).
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // `_name` marks a parameter or binding kept on purpose (callback shapes, destructuring that drops a field).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Off: an `async` function without `await` is used on purpose: async generators over in-memory chunks (tests, feed
      // slices) and pool methods that must return a promise and turn a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // Layers: storage, identity and schema sit below projections and must not import from it (they once did, through
      // `isLater` and the `ProjectionStore` type: a directory-level cycle that `no-cycle`, which follows modules, cannot see).
      // The whole layer order is enforced by test/architecture/layers.test.ts (docs/architecture.md, "Layers").
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/storage', from: './src/projections' },
            { target: './src/identity', from: './src/projections' },
            { target: './src/schema', from: ['./src/projections', './src/identity', './src/storage'] },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Off in tests: vitest's asymmetric matchers (`expect.any`, `expect.objectContaining`, ...) are typed `any`, and
      // tests feed `JSON.parse` output and hostile objects on purpose; typing each would be noise, not safety.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
