import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig } from '@wahooks/config';
import { BillingConfigSchema, stripeSettings } from '../src/config.js';

const parse = (env: Record<string, string>) => parseConfig(BillingConfigSchema, env);

describe('billing config', () => {
  it('billing is off without STRIPE_SECRET_KEY (an empty value counts as unset)', () => {
    expect(stripeSettings(parse({}))).toBeUndefined();
    expect(stripeSettings(parse({ STRIPE_SECRET_KEY: '' }))).toBeUndefined();
    expect(parse({ BILLING_FREE_SLOTS: '3' }).BILLING_FREE_SLOTS).toBe(3);
  });

  it('with a key, the webhook secret and the USD price are required', () => {
    const err = (() => {
      try {
        parse({ STRIPE_SECRET_KEY: 'sk_test_1' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual([
      'STRIPE_WEBHOOK_SECRET: required when STRIPE_SECRET_KEY is set',
      'STRIPE_USD_PRICE_ID: required when STRIPE_SECRET_KEY is set',
    ]);
  });

  it('STRIPE_API_URL is a base URL (the SDK takes host, port and protocol)', () => {
    expect(() => parse({ STRIPE_API_URL: 'http://127.0.0.1:12111/v1' })).toThrow(/STRIPE_API_URL: must be a base URL/);
    const c = parse({
      STRIPE_SECRET_KEY: 'sk_test_1',
      STRIPE_WEBHOOK_SECRET: 'whsec_1',
      STRIPE_USD_PRICE_ID: 'price_usd',
      STRIPE_API_URL: 'http://127.0.0.1:12111',
      FRONTEND_URL: 'https://wahooks.com/',
    });
    expect(stripeSettings(c)).toEqual({
      secretKey: 'sk_test_1',
      webhookSecret: 'whsec_1',
      prices: { usd: 'price_usd' },
      apiUrl: 'http://127.0.0.1:12111',
      timeoutMs: 8000,
      frontendUrl: 'https://wahooks.com',
    });
  });
});
