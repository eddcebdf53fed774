/**
 * The one Stripe client of the service: the real `stripe` SDK on API version 2025-04-30.basil, pointed at
 * STRIPE_API_URL through the SDK's own host/port/protocol options (a local stand-in answers there in tests).
 */
import Stripe from 'stripe';
import type { StripeSettings } from '../config.js';

export const STRIPE_API_VERSION = '2025-04-30.basil' as const;

export function createStripeClient(settings: StripeSettings): Stripe {
  const url = new URL(settings.apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(settings.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    host: url.hostname,
    port: url.port || (protocol === 'https' ? 443 : 80),
    protocol,
    timeout: settings.timeoutMs,
    // One retry of a failed call (connection error, 409/429/5xx); the SDK sends both with one idempotency key.
    maxNetworkRetries: 1,
    telemetry: false,
    appInfo: { name: 'wahooks-billing' },
  });
}

export type { Stripe };
