import { envInt, sharedEnv } from '@wahooks/config';

export interface CliConfig {
  RABBITMQ_URL: string;
  BROKER_NAMESPACE: string;
  /** Default wait for a reply, and for the broker connection (ms); --timeout overrides it. */
  WAHOOKS_CLI_TIMEOUT_MS: number;
}

export class CliConfigError extends Error {}

const fields = {
  RABBITMQ_URL: sharedEnv.RABBITMQ_URL,
  BROKER_NAMESPACE: sharedEnv.BROKER_NAMESPACE,
  WAHOOKS_CLI_TIMEOUT_MS: envInt(10_000, 1),
};

/** The same rules and defaults as the services (shared zod fields); an empty value counts as unset. */
export function readCliConfig(env: NodeJS.ProcessEnv): CliConfig {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, schema] of Object.entries(fields)) {
    const raw = env[key] === '' ? undefined : env[key];
    const parsed = schema.safeParse(raw);
    if (parsed.success) out[key] = parsed.data;
    else problems.push(`${key}: ${parsed.error.issues.map((i) => i.message).join(', ')}`);
  }
  if (problems.length > 0) throw new CliConfigError(`invalid configuration: ${problems.join('; ')}`);
  return out as unknown as CliConfig;
}
