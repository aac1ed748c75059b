// `npx eslint .` (part of `npm run lint`): typescript-eslint's type-checked recommended rules over
// the TypeScript (types from tsconfig.json, which includes every .ts directory), the untyped
// recommended ones over the plain JavaScript. Rules turned off say why; the rest catch bugs.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/',
      'node_modules/',
      'packages/verifier-python/',
      'bench/results/',
      'docs/screenshots/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() promises are awaited by the runner itself.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      // A `default:` is an exhaustive answer (the code maps a few error codes and lets the rest
      // fall through on purpose); a switch without one must name every member of the union.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // Forwarding a rejection or an abort reason as it came (`unknown`, `any`) is not inventing a
      // non-Error; a literal rejection still is.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // URLSearchParams stringifies as a query string (a URL's part in redirects and links).
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'package', package: 'url', name: ['URL', 'URLSearchParams'] },
          ],
        },
      ],
      // A `let` read by a closure before its one assignment (a shutdown handler installed before
      // the server exists) cannot be a `const`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // prom-client calls a gauge's collect() with the gauge as `this`: the Metrics instance is `self`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      // tsc's noUnusedLocals/noUnusedParameters check this (and honour the `_` prefix).
      '@typescript-eslint/no-unused-vars': 'off',
      // Async functions without await are deliberate: they implement Promise-returning ports and
      // turn a synchronous throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // Control characters in regular expressions are what the input validation looks for.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests and benchmarks read JSON responses (`any`) and assert on them: an unsafe access there
    // fails the test anyway. The production code keeps every no-unsafe-* rule.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['web/static/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
