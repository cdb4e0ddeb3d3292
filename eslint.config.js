// Type-aware rules matter most in socket code: a dropped promise in a data handler is a silent hang.
import tseslint from 'typescript-eslint';

// The layers of docs/ARCHITECTURE.md, held here rather than by review. Patterns are matched against
// the import string, by path segment, so `../server/x.js` and `ftpkit/server` are caught and
// `./server-name.js` is not. The package's own name counts too: 'ftpkit' alone is the client.
const SERVER = String.raw`(^|/)server(/|$)|^ftpkit/server$`;
const CLIENT = String.raw`(^|/)client(/|$)|^ftpkit(/client)?$`;
// One way into protocol from either side: the barrel is its public surface, so what the sides use is
// what 'ftpkit/protocol' exports.
const DEEP_PROTOCOL = String.raw`(^|/)protocol/(?!index\.js$)|^ftpkit/protocol$`;
const ARCHITECTURE = 'see docs/ARCHITECTURE.md';

/** One layer's forbidden imports; dynamic import() is matched too, which no-restricted-imports skips. */
function layer(files, forbidden) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: forbidden.map(([regex, message]) => ({ regex, message })) },
      ],
      'no-restricted-syntax': [
        'error',
        ...forbidden.map(([regex, message]) => ({
          selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/]`,
          message,
        })),
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['build/**', 'node_modules/**', 'bin/**', 'scripts/**', 'eslint.config.js'] },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // `() => socket.destroy()` in callbacks is clear enough; braces there add noise, not safety.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  layer(
    ['src/protocol/**/*.ts'],
    [
      [SERVER, `src/protocol is shared by both sides and imports neither (${ARCHITECTURE}).`],
      [CLIENT, `src/protocol is shared by both sides and imports neither (${ARCHITECTURE}).`],
    ],
  ),
  layer(
    ['src/server/**/*.ts'],
    [
      [CLIENT, `src/server never imports src/client: shared code belongs in src/protocol (${ARCHITECTURE}).`],
      [DEEP_PROTOCOL, `Import protocol code from its barrel, protocol/index.js (${ARCHITECTURE}).`],
    ],
  ),
  layer(
    ['src/client/**/*.ts'],
    [
      [SERVER, `src/client never imports src/server: shared code belongs in src/protocol (${ARCHITECTURE}).`],
      [DEEP_PROTOCOL, `Import protocol code from its barrel, protocol/index.js (${ARCHITECTURE}).`],
    ],
  ),
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
