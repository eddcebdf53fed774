// The Grafana dashboards (infra/grafana/dashboards) ask only for metrics the services export: every WAHooks and
// Node.js metric name in a panel's query is registered somewhere in libs/ or services/ source, or is one of
// prom-client's process metrics. Needs `npm run build` (libs/metrics/dist). `node --test scripts/test/*.test.mjs`.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dashboardsDir = path.join(root, 'infra', 'grafana', 'dashboards');

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (['node_modules', 'dist', 'test'].includes(entry)) return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

function queriesOf(dashboard) {
  const exprs = [];
  const walk = (panels) =>
    panels.forEach((p) => {
      (p.targets ?? []).forEach((t) => exprs.push(t.expr));
      walk(p.panels ?? []);
    });
  walk(dashboard.panels ?? []);
  for (const v of dashboard.templating?.list ?? []) if (v.definition) exprs.push(v.definition);
  return exprs;
}

test('every dashboard query names a metric the services register', async () => {
  const registered = new Set();
  for (const dir of ['libs', 'services'])
    for (const file of sourceFiles(path.join(root, dir)))
      for (const m of readFileSync(file, 'utf8').matchAll(/name: '([a-z_]+)'/g)) registered.add(m[1]);
  const { collectProcessMetrics, metricsRegistry } = await import(
    path.join(root, 'libs', 'metrics', 'dist', 'index.js')
  );
  collectProcessMetrics();
  for (const m of (await metricsRegistry.metrics()).matchAll(/^# TYPE (\S+)/gm)) registered.add(m[1]);

  const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 3, 'expected the services, webhooks and RabbitMQ dashboards');
  const missing = [];
  for (const file of files) {
    const dashboard = JSON.parse(readFileSync(path.join(dashboardsDir, file), 'utf8'));
    assert.ok(dashboard.uid && dashboard.title, `${file}: uid and title`);
    for (const expr of queriesOf(dashboard))
      for (const [name] of expr.matchAll(/\b(?:http|broker|outbox|webhook|connection|process|nodejs)_[a-z0-9_]+/g)) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        if (!registered.has(base) && !registered.has(name)) missing.push(`${file}: ${name}`);
      }
  }
  assert.deepEqual(missing, []);
});
