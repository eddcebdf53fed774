/**
 * Downloading an inbound message's media, which is the sender's to describe: its URL, its size, its type. Baileys'
 * own download (rc14) takes the URL as it comes (http too), follows redirects, has no deadline and no size cap, so
 * a sender could point a tenant's session at an endless stream (the replica runs out of memory, every tenant on it
 * drops) or at an internal address. Here:
 * - only https, and only WhatsApp's media hosts (`WA_MEDIA_HOSTS`; the emulator's host in tests);
 * - no redirects followed; a connect deadline and a whole-download deadline;
 * - at most the cap of the media's kind (and never more than the size the message declared, plus padding),
 *   counted as the bytes arrive: the download stops at the first byte over;
 * - the MAC and hashes checked before anything is decrypted.
 * Failures are MediaRefused with a reason meant for the tenant.
 */
import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Agent } from 'node:https';
import got from 'got';
import { getMediaKeys, type MediaType } from '@whiskeysockets/baileys';
import type { MediaContent } from '../events/index.js';

/** Largest plaintext per kind, bytes (WhatsApp's own limits are at or below these). */
export const INBOUND_MEDIA_LIMITS: Record<MediaContent['type'], number> = {
  imageMessage: 16 * 1024 * 1024,
  stickerMessage: 1024 * 1024,
  audioMessage: 16 * 1024 * 1024,
  videoMessage: 64 * 1024 * 1024,
  documentMessage: 100 * 1024 * 1024,
};

/** WhatsApp's media hosts (directPath downloads go to mmg.whatsapp.net; CDNs are *.whatsapp.net). */
export const WHATSAPP_MEDIA_HOSTS = ['mmg.whatsapp.net', '*.whatsapp.net'];

export interface MediaDownloadPolicy {
  /** Exact host names or `*.suffix` patterns; anything else is refused before any connection. */
  hosts: readonly string[];
  connectTimeoutMs: number;
  /** The whole download: connect, headers and every byte. */
  timeoutMs: number;
  /** TLS agent (tests: one that trusts the emulator's media certificate). */
  agent?: Agent;
  limits?: Record<MediaContent['type'], number>;
}

/** WhatsApp's hosts, 10 s to connect, 60 s for the whole download. */
export const DEFAULT_MEDIA_POLICY: MediaDownloadPolicy = {
  hosts: WHATSAPP_MEDIA_HOSTS,
  connectTimeoutMs: 10_000,
  timeoutMs: 60_000,
};

export type RefusalKind = 'not_allowed' | 'too_large' | 'timeout' | 'http' | 'integrity' | 'unreachable';

export class MediaRefused extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MediaRefused';
  }
}

const MAC_LENGTH = 10;
const human = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;
const mediaTypeOf = (type: MediaContent['type']) => type.replace('Message', '') as MediaType;

function hostAllowed(host: string, hosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return hosts.some((pattern) => {
    const p = pattern.trim().toLowerCase();
    return p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
  });
}

/** Where Baileys would download this media from: `https://<host of url, else mmg.whatsapp.net><directPath>`, else `url`. */
export function mediaLocation(media: MediaContent['message']): string | undefined {
  if (media.directPath) {
    let host = 'mmg.whatsapp.net';
    try {
      if (media.url) host = new URL(media.url).host;
    } catch {
      // an unparsable url: Baileys falls back to its default host too
    }
    return `https://${host}${media.directPath}`;
  }
  return media.url ?? undefined;
}

/** Why this media will not be downloaded, without any I/O (null: it may be): checked when the message arrives. */
export function mediaRefusal(content: MediaContent, policy: MediaDownloadPolicy): string | null {
  const location = mediaLocation(content.message);
  if (!location) return 'the message names no media location';
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return 'the media location is not a URL';
  }
  if (url.protocol !== 'https:') return 'the media location is not https';
  if (!hostAllowed(url.hostname, policy.hosts)) return "the media location is not one of WhatsApp's media hosts";
  const limit = (policy.limits ?? INBOUND_MEDIA_LIMITS)[content.type];
  const declared = Number(content.message.fileLength ?? 0);
  if (declared > limit) return `the media is larger than the ${human(limit)} limit for its kind`;
  if (!content.message.mediaKey?.length) return 'the message carries no media key';
  return null;
}

/** Download, check and decrypt. Throws MediaRefused (`http` with its status: 404/410 ask for a re-upload). */
export async function downloadMedia(content: MediaContent, policy: MediaDownloadPolicy): Promise<Buffer> {
  const refused = mediaRefusal(content, policy);
  if (refused) throw new MediaRefused('not_allowed', refused);
  const limit = (policy.limits ?? INBOUND_MEDIA_LIMITS)[content.type];
  const declared = Number(content.message.fileLength ?? 0);
  // AES-CBC pads up to 16 bytes, then the 10-byte MAC
  const maxBytes =
    declared > 0 ? Math.min(limit + 16 + MAC_LENGTH, declared + 16 + MAC_LENGTH) : limit + 16 + MAC_LENGTH;
  const encrypted = await fetchCapped(mediaLocation(content.message)!, maxBytes, policy);
  return decrypt(encrypted, content);
}

function fetchCapped(location: string, maxBytes: number, policy: MediaDownloadPolicy): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const stream = got.stream(location, {
      followRedirect: false,
      throwHttpErrors: false,
      retry: { limit: 0 },
      decompress: false,
      timeout: {
        lookup: policy.connectTimeoutMs,
        connect: policy.connectTimeoutMs,
        secureConnect: policy.connectTimeoutMs,
        request: policy.timeoutMs,
      },
      headers: { origin: 'https://web.whatsapp.com' },
      ...(policy.agent ? { agent: { https: policy.agent } } : {}),
    });
    const fail = (err: MediaRefused) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      reject(err);
    };
    stream.on('response', (res: { statusCode?: number; headers: Record<string, string | string[] | undefined> }) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400)
        return fail(new MediaRefused('not_allowed', 'the media host answered with a redirect (not followed)', status));
      if (status < 200 || status > 299)
        return fail(new MediaRefused('http', `the media host answered HTTP ${status}`, status));
      const length = Number(res.headers['content-length']);
      if (Number.isFinite(length) && length > maxBytes)
        return fail(new MediaRefused('too_large', 'the media is larger than its message declared or its limit'));
    });
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes)
        return fail(new MediaRefused('too_large', 'the media is larger than its message declared or its limit'));
      chunks.push(chunk);
    });
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, received));
    });
    stream.on('error', (err: Error & { code?: string }) => {
      if (err.name === 'TimeoutError' || err.code === 'ETIMEDOUT')
        return fail(new MediaRefused('timeout', 'the media host did not answer in time'));
      fail(new MediaRefused('unreachable', `the media host could not be reached (${err.code ?? 'error'})`));
    });
  });
}

async function decrypt(file: Buffer, content: MediaContent): Promise<Buffer> {
  const { message } = content;
  if (file.length < MAC_LENGTH + 16) throw new MediaRefused('integrity', 'the media is truncated');
  if (
    message.fileEncSha256?.length &&
    !createHash('sha256').update(file).digest().equals(Buffer.from(message.fileEncSha256))
  )
    throw new MediaRefused('integrity', 'the media failed its integrity check');
  const { iv, cipherKey, macKey } = await getMediaKeys(message.mediaKey, mediaTypeOf(content.type));
  const ciphertext = file.subarray(0, file.length - MAC_LENGTH);
  const mac = createHmac('sha256', macKey!).update(iv).update(ciphertext).digest().subarray(0, MAC_LENGTH);
  if (!timingSafeEqual(mac, file.subarray(file.length - MAC_LENGTH)))
    throw new MediaRefused('integrity', 'the media failed its integrity check');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new MediaRefused('integrity', 'the media could not be decrypted');
  }
  if (
    message.fileSha256?.length &&
    !createHash('sha256').update(plain).digest().equals(Buffer.from(message.fileSha256))
  )
    throw new MediaRefused('integrity', 'the media failed its integrity check');
  return plain;
}
