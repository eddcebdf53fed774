/** OpenAPI 3.1 from the route definitions (zod 4's own JSON Schema output, which is 2020-12 as 3.1 expects). */
import { z } from 'zod';
import { ErrorBody } from '@wahooks/contracts';
import type { RouteDef } from './define-route.js';

type Json = Record<string, unknown>;

const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): Json => {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
    }) as Json;
    return rest;
  } catch {
    return {}; // a schema JSON Schema cannot express (e.g. a transform) is documented as "any"
  }
};

/** `/api/tokens/:id` → `/api/tokens/{id}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(route: RouteDef): Json[] {
  const out: Json[] = [];
  const add = (schema: z.ZodType | undefined, location: 'path' | 'query') => {
    const json = schema ? schemaOf(schema, 'input') : {};
    const props = (json.properties ?? {}) as Record<string, Json>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, s] of Object.entries(props))
      out.push({ name, in: location, required: location === 'path' || required.has(name), schema: s });
  };
  add(route.params, 'path');
  add(route.query, 'query');
  // Path parameters without a schema are still documented.
  for (const m of route.path.matchAll(/:([A-Za-z0-9_]+)/g))
    if (!out.some((p) => p.name === m[1] && p.in === 'path'))
      out.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
  return out;
}

function operation(route: RouteDef): Json {
  const errorStatuses = new Set([
    ...(route.body || route.params || route.query ? [400] : []),
    ...(route.auth ? [401] : []),
    ...(route.rateLimit ? [429] : []),
    ...route.errors,
    500,
  ]);
  const responses: Json = {
    [route.status]: {
      description: 'Success',
      ...(route.response ? { content: { 'application/json': { schema: schemaOf(route.response, 'output') } } } : {}),
    },
  };
  for (const s of [...errorStatuses].sort()) responses[s] = { $ref: '#/components/responses/Error' };
  return {
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag ?? route.path.split('/')[2] ?? 'api'],
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    // optionalAuth: anonymous or bearer (an empty requirement object means "no auth" in OpenAPI)
    security: route.auth ? [{ bearer: [] }] : route.optionalAuth ? [{}, { bearer: [] }] : [],
    parameters: parameters(route),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: schemaOf(route.body, 'input') },
              'application/x-www-form-urlencoded': { schema: schemaOf(route.body, 'input') },
            },
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApi(routes: RouteDef[], info: { version: string; serverUrl?: string }): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) (paths[openApiPath(r.path)] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'WAHooks API',
      version: info.version,
      description:
        'WhatsApp to HTTP. Authenticate with `Authorization: Bearer <token>`: an API token (`wh_…`) or a Supabase access JWT. Errors are `{statusCode, error, message}`.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'wh_ API token or Supabase JWT' },
      },
      schemas: { ErrorBody: schemaOf(ErrorBody, 'output') },
      responses: {
        Error: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
        },
      },
    },
  };
}
