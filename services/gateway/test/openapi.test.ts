/**
 * GET /api/openapi.json documents every request field: each body, query and path parameter has its schema and a
 * description (built from the same zod schemas the gateway and the services validate with), never `{}`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestEnv, type TestEnv } from '@wahooks/testing';
import type { Gateway } from '../src/service.js';
import { call, startTestGateway } from './support.js';

type Json = Record<string, any>;

let env: TestEnv;
let gw: Gateway;
let doc: Json;

beforeAll(async () => {
  env = await createTestEnv('gateway-openapi');
  gw = await startTestGateway(env);
  const r = await call(gw.url, 'GET', '/api/openapi.json');
  expect(r.status).toBe(200);
  doc = r.body as Json;
}, 60_000);

afterAll(async () => {
  await gw?.stop(100);
  await env?.cleanup();
});

const operations = (): [string, Json][] =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, Json] => [`${method.toUpperCase()} ${path}`, op as Json]),
  );

const bodyOf = (path: string, method: string): Json =>
  doc.paths[path][method].requestBody.content['application/json'].schema as Json;

describe('OpenAPI document', () => {
  it('every request body documents its fields, each with a type and a description', () => {
    const withBody = operations().filter(([, op]) => op.requestBody);
    expect(withBody.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'POST /api/tokens',
        'POST /api/connections',
        'PATCH /api/connections/{id}',
        'POST /api/connections/{connectionId}/webhooks',
        'PUT /api/webhooks/{id}',
      ]),
    );
    for (const [name, op] of withBody) {
      for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
        const schema = op.requestBody.content[type].schema as Json;
        expect({ name, type, schema }).toMatchObject({ schema: { type: 'object' } });
        const props = Object.entries((schema.properties ?? {}) as Record<string, Json>);
        expect({ name, fields: props.length > 0 }).toEqual({ name, fields: true });
        for (const [field, s] of props) {
          expect({ name, field, described: typeof s.description === 'string' && s.description.length > 0 }).toEqual({
            name,
            field,
            described: true,
          });
          expect({ name, field, typed: Boolean(s.type || s.anyOf || s.enum) }).toEqual({ name, field, typed: true });
        }
      }
    }
  });

  it('documents the fields of each body as the services check them', () => {
    expect(bodyOf('/api/tokens', 'post')).toMatchObject({
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
    });
    for (const [path, method] of [
      ['/api/connections', 'post'],
      ['/api/connections/{id}', 'patch'],
    ] as const) {
      const body = bodyOf(path, method);
      expect(body.required).toBeUndefined(); // the name is optional
      expect(body.properties.name.anyOf).toEqual(
        expect.arrayContaining([{ type: 'string', maxLength: 200 }, { type: 'null' }]),
      );
    }
    const create = bodyOf('/api/connections/{connectionId}/webhooks', 'post');
    expect(create.required).toEqual(['url', 'events']);
    expect(create.properties.url).toMatchObject({ type: 'string', format: 'uri' });
    expect(create.properties.events).toMatchObject({ type: 'array', minItems: 1, items: { type: 'string' } });
    expect(create.properties.events.items.enum).toEqual(expect.arrayContaining(['*', 'message', 'message.ack']));
    const update = bodyOf('/api/webhooks/{id}', 'put');
    expect(update.required).toBeUndefined();
    expect(Object.keys(update.properties).sort()).toEqual(['active', 'events', 'url']);
    expect(update.properties.active).toMatchObject({ type: 'boolean' });
  });

  it('documents query and path parameters with descriptions', () => {
    const logs = doc.paths['/api/webhooks/{id}/logs'].get.parameters as Json[];
    expect(logs.map((p) => `${p.in}:${p.name}`).sort()).toEqual(
      ['path:id', 'query:before', 'query:event', 'query:limit', 'query:status'].sort(),
    );
    for (const p of logs)
      expect({ name: p.name, description: p.schema.description }).toMatchObject({
        description: expect.any(String),
      });
    expect(logs.find((p) => p.name === 'status')!.schema.enum).toEqual(['pending', 'delivered', 'failed']);
    expect(logs.find((p) => p.name === 'before')!.schema.format).toBe('uuid');
    for (const [name, op] of operations()) {
      for (const p of (op.parameters ?? []) as Json[]) {
        expect({ name, param: p.name, typed: Boolean(p.schema.type || p.schema.anyOf || p.schema.enum) }).toEqual({
          name,
          param: p.name,
          typed: true,
        });
      }
    }
  });
});
