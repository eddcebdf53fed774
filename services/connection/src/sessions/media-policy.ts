/**
 * The inbound media policy of this replica, from its configuration: `WA_MEDIA_HOSTS` when set; with a test server
 * (WA_SERVER_ROOT_KEY, never in production) the host of WA_WEBSOCKET_URL, whose media host it is; else
 * WhatsApp's own media hosts.
 */
import type { Agent } from 'node:https';
import type { ConnectionEnv } from '../config.js';
import { WHATSAPP_MEDIA_HOSTS, type MediaDownloadPolicy } from './media-download.js';

export function mediaPolicyOf(config: ConnectionEnv, agent?: Agent): MediaDownloadPolicy {
  const listed = (config.WA_MEDIA_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const testServer =
    config.WA_SERVER_ROOT_KEY && config.WA_WEBSOCKET_URL ? [new URL(config.WA_WEBSOCKET_URL).hostname] : [];
  return {
    hosts: listed.length ? listed : testServer.length ? testServer : WHATSAPP_MEDIA_HOSTS,
    connectTimeoutMs: config.MEDIA_CONNECT_TIMEOUT_MS,
    timeoutMs: config.MEDIA_DOWNLOAD_TIMEOUT_MS,
    ...(agent ? { agent } : {}),
  };
}
