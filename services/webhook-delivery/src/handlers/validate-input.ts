/**
 * Client input of the webhook routes that the contract's schemas cannot check: whether a webhook URL's host
 * resolves to a loopback, private, link-local or metadata address (a DNS lookup). Everything else (`url and
 * events are required`, `url must use http or https`, the event names, the logs query) is in the commands'
 * request schemas (libs/contracts commands/webhook.ts), applied by the broker before a handler runs.
 */
import { badRequest } from '@wahooks/contracts';
import type { SsrfGuard } from '@wahooks/outbound-http';

/** `url` as the schema left it (an http(s) URL, normalised); 400 with the guard's reason when refused. */
export async function checkWebhookUrl(url: string, guard: SsrfGuard): Promise<string> {
  const refused = await guard.checkUrl(new URL(url));
  if (refused) throw badRequest(refused);
  return url;
}
