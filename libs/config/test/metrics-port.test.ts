import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, DEFAULT_METRICS_PORTS, metricsPortEnv, parseConfig } from '@wahooks/config';

const Schema = z.object({ ...metricsPortEnv('webhook-delivery') });
const port = (env: NodeJS.ProcessEnv) => parseConfig(Schema, env).METRICS_PORT;

describe('METRICS_PORT', () => {
  it("defaults to the service's own port; takes a port, 0 (any free port) or off", () => {
    expect(port({})).toBe(9105);
    expect(port({ METRICS_PORT: ' ' })).toBe(9105);
    expect(port({ METRICS_PORT: '9200' })).toBe(9200);
    expect(port({ METRICS_PORT: '0' })).toBe(0);
    expect(port({ METRICS_PORT: 'off' })).toBe('off');
    expect(port({ METRICS_PORT: 'OFF' })).toBe('off');
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['70000', '-1', 'abc', '12.5']) {
      expect(() => port({ METRICS_PORT: bad })).toThrow(ConfigError);
      expect(() => port({ METRICS_PORT: bad })).toThrow(/METRICS_PORT/);
    }
  });

  it('every service folder has a default, and no two share one (npm start runs them side by side)', () => {
    const servicesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../services');
    const services = readdirSync(servicesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(Object.keys(DEFAULT_METRICS_PORTS).sort()).toEqual(services);
    const ports = Object.values(DEFAULT_METRICS_PORTS);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).not.toContain(3000); // the gateway's public port
  });
});
