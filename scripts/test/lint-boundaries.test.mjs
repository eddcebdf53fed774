// The package boundaries eslint.config.js enforces, checked through ESLint's Node API on snippets placed (virtually)
// at real paths of the repo: `node --test scripts/test/*.test.mjs`. Nothing is written to disk.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The snippets are not part of tsconfig.eslint.json's program, so lint them without type information; every
// boundary rule is syntactic and stays as configured.
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked },
});

const boundaryRules = ['no-restricted-imports', 'no-restricted-syntax', 'wahooks/relative-imports-stay-in-package'];

async function lint(file, code) {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, file) });
  return result.messages;
}

/** Asserts that `code` at `file` fails on a boundary rule (and only on boundary rules). */
async function refused(file, code, rule) {
  const messages = await lint(file, code);
  assert.ok(messages.length > 0, `expected ${file} to refuse:\n${code}`);
  for (const m of messages) assert.ok(boundaryRules.includes(m.ruleId), `unexpected ${m.ruleId}: ${m.message}`);
  if (rule)
    assert.ok(
      messages.some((m) => m.ruleId === rule && m.severity === 2),
      `expected ${rule}`,
    );
}

async function allowed(file, code) {
  assert.deepEqual(
    (await lint(file, code)).map((m) => `${m.ruleId}: ${m.message}`),
    [],
    `expected ${file} to allow:\n${code}`,
  );
}

const otherServices = ['@wahooks/token', '@wahooks/connection', '@wahooks/webhook-delivery', '@wahooks/billing'];
const importOf = (source) => `import { x } from '${source}';\nexport { x };\n`;

describe('production code of a service (services/gateway/src)', () => {
  const file = 'services/gateway/src/probe.ts';

  for (const tool of ['@wahooks/testing', '@wahooks/wa-emulator']) {
    test(`may not load the test tool ${tool}, statically, re-exported or dynamically`, async () => {
      await refused(file, importOf(tool), 'no-restricted-imports');
      await refused(file, `export * from '${tool}';\n`, 'no-restricted-imports');
      await refused(file, `export const m = await import('${tool}');\n`, 'no-restricted-syntax');
    });
  }

  test('may not import another service by package name', async () => {
    for (const service of [...otherServices, '@wahooks/messaging', '@wahooks/gateway']) {
      await refused(file, importOf(service), 'no-restricted-imports');
      await refused(file, importOf(`${service}/dist/service.js`), 'no-restricted-imports');
    }
    await refused(file, `export const m = await import('@wahooks/token');\n`, 'no-restricted-syntax');
  });

  test('may not import another service, or anything outside its package, by relative path', async () => {
    const rule = 'wahooks/relative-imports-stay-in-package';
    await refused(file, importOf('../../token/src/service.js'), rule);
    await refused(file, importOf('../../../services/token/src/service.js'), rule);
    await refused('services/gateway/src/deep/er/probe.ts', importOf('../../../../token/src/service.js'), rule);
    await refused(file, `export const m = await import('../../webhook-delivery/src/service.js');\n`, rule);
    await refused(file, `export * from '../../connection/src/config.js';\n`, rule);
    await refused(file, importOf('../../../libs/broker/src/index.js'), rule);
  });

  test('may not reach into a lib by path', async () => {
    await refused(file, importOf('@wahooks/broker/src/index.js'), 'no-restricted-imports');
  });

  test('may not use amqplib (RabbitMQ is @wahooks/broker), not even its types', async () => {
    for (const f of [file, 'services/webhook-delivery/src/handlers/probe.ts']) {
      await refused(f, "import amqp from 'amqplib';\nexport { amqp };\n", 'no-restricted-imports');
      await refused(f, "import type { ConsumeMessage } from 'amqplib';\nexport type { ConsumeMessage };\n");
      await refused(f, "export * from 'amqplib/lib/channel_model.js';\n", 'no-restricted-imports');
      await refused(f, "export const m = await import('amqplib');\n", 'no-restricted-syntax');
    }
    await allowed(
      file,
      "import type { RawMessage, SetupChannel } from '@wahooks/broker';\nexport type { RawMessage, SetupChannel };\n",
    );
  });

  test('may import libs by name, its own files and npm packages', async () => {
    await allowed(
      file,
      [
        "import { connectBroker } from '@wahooks/broker';",
        "import { installStrictCurveVerify } from '@wahooks/wa-trust';",
        "import express from 'express';",
        "import { x } from './config.js';",
        "import { y } from '../test/../src/routes/y.js';",
        "export const m = await import('./service.js');",
        'export { connectBroker, installStrictCurveVerify, express, x, y };',
      ].join('\n'),
    );
  });
});

describe('tests of a service (services/gateway/test)', () => {
  const file = 'services/gateway/test/probe.test.ts';

  test('may use the test tools and their own service', async () => {
    await allowed(
      file,
      [
        "import { createTestEnv } from '@wahooks/testing';",
        "import { startEmulator } from '@wahooks/wa-emulator';",
        "import { startGateway } from '../src/service.js';",
        'export { createTestEnv, startEmulator, startGateway };',
      ].join('\n'),
    );
  });

  test('may not use amqplib either', async () => {
    await refused(file, "import amqp from 'amqplib';\nexport { amqp };\n", 'no-restricted-imports');
    await refused(file, "export const m = await import('amqplib');\n", 'no-restricted-syntax');
  });

  test('may not import another service, by name or by path', async () => {
    await refused(file, importOf('@wahooks/token'), 'no-restricted-imports');
    await refused(file, importOf('../../token/test/harness.js'), 'wahooks/relative-imports-stay-in-package');
  });
});

describe('libs', () => {
  test('production code may not import a service or a test tool', async () => {
    const file = 'libs/broker/src/probe.ts';
    await refused(file, importOf('@wahooks/gateway'), 'no-restricted-imports');
    await refused(file, importOf('@wahooks/testing'), 'no-restricted-imports');
    await refused(file, importOf('../../../services/gateway/src/service.js'));
    await refused(file, importOf('../../wa-emulator/src/index.js'), 'wahooks/relative-imports-stay-in-package');
    await allowed(file, importOf('@wahooks/contracts'));
    await allowed(file, "import amqp from 'amqplib';\nexport { amqp };\n"); // the broker is the one that may
  });

  test('the emulator (a test tool) may use the production-safe trust lib', async () => {
    await allowed('libs/wa-emulator/src/probe.ts', importOf('@wahooks/wa-trust'));
  });
});

describe('outside the packages', () => {
  test('cross-service tests in e2e/ may import services', async () => {
    await allowed(
      'e2e/test/probe.test.ts',
      importOf('../../services/gateway/src/service.js') + "import { y } from '@wahooks/testing';\nexport { y };\n",
    );
  });

  test('bench/ and scripts/ are linted, may use the test tools, and may not import a service', async () => {
    await allowed('bench/probe.mjs', importOf('@wahooks/testing'));
    await refused('bench/probe.mjs', importOf('@wahooks/gateway'), 'no-restricted-imports');
    await refused('scripts/probe.mjs', importOf('../services/gateway/dist/service.js'), 'no-restricted-imports');
    // plain JavaScript gets Node's globals and the usual checks
    await allowed('scripts/probe.mjs', 'process.stdout.write(Buffer.from("ok").toString());\n');
    const undefinedName = await lint('scripts/probe.mjs', 'notDefinedAnywhere();\n');
    assert.deepEqual(
      undefinedName.map((m) => m.ruleId),
      ['no-undef'],
    );
  });
});
