import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const repoRoot = import.meta.dirname;

/** Package names of the workspaces in `folder` (libs, services), from their package.json. */
function packageNames(folder) {
  return readdirSync(path.join(repoRoot, folder), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      try {
        return [JSON.parse(readFileSync(path.join(repoRoot, folder, entry.name, 'package.json'), 'utf8')).name];
      } catch {
        return []; // a folder without a package.json is no package
      }
    });
}

const servicePackages = packageNames('services');
const testTools = ['@wahooks/testing', '@wahooks/wa-emulator'];
const withSubpaths = (names) => names.flatMap((name) => [name, `${name}/*`]);

// no-restricted-imports patterns (gitignore syntax), combined per kind of file below.
const deepImport = {
  group: ['@wahooks/*/src', '@wahooks/*/src/*', '@wahooks/*/dist', '@wahooks/*/dist/*'],
  message: 'Import a lib by its package name, not a path inside it.',
};
const noService = {
  group: withSubpaths(servicePackages),
  message: 'Services talk only over RabbitMQ: a service never imports another service, a lib never imports one.',
};
const noServicePath = {
  group: ['**/services/*', '**/services/*/**'],
  message: 'Never import a service by path (e2e/ is the one place that starts services in-process).',
};
const noTestTool = {
  group: withSubpaths(testTools),
  message:
    'Production code never loads test tools (@wahooks/testing, @wahooks/wa-emulator); tests may. The Baileys trust fixes are in @wahooks/wa-trust.',
};
const noAmqplib = {
  group: ['amqplib', 'amqplib/*'],
  message:
    'Services reach RabbitMQ through @wahooks/broker only (its RawMessage, SetupChannel, PublishOptions and QueueOptions types too); libs/broker is the one user of amqplib.',
};
// import('…') with a literal source: no-restricted-imports only sees static imports and re-exports.
// (A selector's regex may not contain '/', hence \u002F.)
const noDynamicImportOf = (names, message) => ({
  selector: `ImportExpression[source.value=/^(${names.join('|').replaceAll('/', '\\u002F')})(\\u002F|$)/]`,
  message,
});

/** `libs/<x>` or `services/<x>` for a repo-relative path, else undefined. */
function packageFolderOf(relativePath) {
  const [top, name] = relativePath.split(path.sep);
  return (top === 'libs' || top === 'services') && name ? `${top}/${name}` : undefined;
}

/**
 * Relative imports stay inside their own package: another lib is imported by its package name (so the build order
 * and package.json say what depends on what), a service never. Resolves the path, so `../../token/src/x.js` from
 * services/gateway is caught however deep the importing file is; static, dynamic and re-exports alike.
 */
const relativeImportsStayInPackage = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      outside:
        "'{{source}}' leaves {{own}}: import a lib by its package name; a service never imports another service.",
    },
  },
  create(context) {
    const own = packageFolderOf(path.relative(repoRoot, context.filename));
    if (!own) return {};
    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = path.relative(repoRoot, path.resolve(path.dirname(context.filename), source.value));
      if (packageFolderOf(target) !== own) {
        context.report({ node: source, messageId: 'outside', data: { source: source.value, own } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

const packageSources = ['libs/*/src/**', 'services/*/src/**'];
const packageTests = ['libs/*/test/**', 'services/*/test/**', '**/*.test.ts'];
const serviceTests = ['services/*/test/**', 'services/**/*.test.ts'];
const noAmqplibDynamic = noDynamicImportOf(['amqplib'], noAmqplib.message);

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript (bench, scripts, jest and eslint configs, infra): ESM on Node, no type information.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.nodeBuiltin },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      // One program over every package's src and test (tsconfig.eslint.json), so tests are type-aware linted too.
      parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: repoRoot },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.{ts,js,mjs,cjs}'],
    plugins: { wahooks: { rules: { 'relative-imports-stay-in-package': relativeImportsStayInPackage } } },
    rules: {
      'no-unused-vars': 'off', // the typescript-eslint rule below covers JavaScript too
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      // bench/, scripts/ and anything else outside the packages: libs by name, no service.
      'no-restricted-imports': ['error', { patterns: [deepImport, noService, noServicePath] }],
      'no-restricted-syntax': ['error', noDynamicImportOf(servicePackages, noService.message)],
    },
  },
  {
    // Package code: relative imports never leave the package (libs/<x>/…, services/<x>/…).
    files: [...packageSources, ...packageTests],
    rules: { 'wahooks/relative-imports-stay-in-package': 'error' },
  },
  {
    // Tests may use the test tools; still no other service.
    files: packageTests,
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImport, noService] }],
      'no-restricted-syntax': ['error', noDynamicImportOf(servicePackages, noService.message)],
    },
  },
  {
    // Production code: no service and no test tool.
    files: packageSources,
    ignores: packageTests,
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImport, noService, noTestTool] }],
      'no-restricted-syntax': [
        'error',
        noDynamicImportOf(servicePackages, noService.message),
        noDynamicImportOf(testTools, noTestTool.message),
      ],
    },
  },
  {
    // Services' tests: as tests above, and no amqplib (flat config replaces a rule's options: the list is repeated).
    files: serviceTests,
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImport, noService, noAmqplib] }],
      'no-restricted-syntax': ['error', noDynamicImportOf(servicePackages, noService.message), noAmqplibDynamic],
    },
  },
  {
    // Services' production code: as production code above, and no amqplib.
    files: ['services/*/src/**'],
    ignores: packageTests,
    rules: {
      'no-restricted-imports': ['error', { patterns: [deepImport, noService, noTestTool, noAmqplib] }],
      'no-restricted-syntax': [
        'error',
        noDynamicImportOf(servicePackages, noService.message),
        noDynamicImportOf(testTools, noTestTool.message),
        noAmqplibDynamic,
      ],
    },
  },
  {
    // Cross-service tests start several services in one process; they are the one place allowed to import them.
    files: ['e2e/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [deepImport] }], 'no-restricted-syntax': 'off' },
  },
);
