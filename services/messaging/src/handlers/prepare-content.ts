/**
 * SendContent (what the API was asked) → OutboundContent (what the session owner sends), with media made ready:
 * a URL fetched here (bounded, SSRF-guarded) and its bytes staged in Redis; an upload the gateway staged checked
 * for size and type and handed on as is. Refusals (400/413/415/422) happen here, before anything is recorded.
 */
import {
  AppError,
  badRequest,
  type MediaKind,
  type MediaRef,
  type OutboundContent,
  type SendContent,
} from '@wahooks/contracts';
import type { FetchResult } from '@wahooks/outbound-http';
import {
  article,
  documentFileName,
  resolveMediaType,
  sniff,
  SNIFF_BYTES,
  transportTypeAccepted,
} from '../domain/media-type.js';
import { buildVcard } from '../domain/vcard.js';
import type { HandlerDeps } from './deps.js';

export type Deps = Pick<HandlerDeps, 'config' | 'media' | 'fetcher'>;

type MediaContent = Extract<SendContent, { type: MediaKind }>;
type Simple = Exclude<SendContent, MediaContent | { type: 'reaction' | 'edit' | 'revoke' }>;

export const isMedia = (c: SendContent): c is MediaContent =>
  c.type === 'image' || c.type === 'video' || c.type === 'audio' || c.type === 'document';

const MiB = 1024 * 1024;
const human = (bytes: number) =>
  bytes >= MiB
    ? `${+(bytes / MiB).toFixed(1)} MB`
    : bytes >= 1024
      ? `${Math.round(bytes / 1024)} KB`
      : `${bytes} bytes`;

export const limitOf = (config: Deps['config'], kind: MediaKind): number =>
  ({
    image: config.MEDIA_MAX_IMAGE_BYTES,
    video: config.MEDIA_MAX_VIDEO_BYTES,
    audio: config.MEDIA_MAX_AUDIO_BYTES,
    document: config.MEDIA_MAX_DOCUMENT_BYTES,
  })[kind];

const tooLarge = (kind: MediaKind, limit: number) =>
  new AppError(
    413,
    `The ${kind} is larger than the ${human(limit)} limit for ${kind === 'audio' ? 'audio' : `${kind}s`}`,
  );

/** The fetcher's failure → the client's error (the URL is the client's: 4xx). */
function fetchRefusal(kind: MediaKind, limit: number, r: Extract<FetchResult, { ok: false }>): AppError {
  switch (r.reason) {
    case 'INVALID_URL':
      return badRequest('url must be an absolute http(s) URL');
    case 'BLOCKED_ADDRESS':
      return badRequest(r.message);
    case 'TOO_LARGE':
      return tooLarge(kind, limit);
    case 'CONTENT_TYPE':
      return new AppError(415, `url answered with content type ${r.contentType ?? '(none)'}, not ${article[kind]}`);
    case 'HTTP_STATUS':
    case 'TIMEOUT':
    case 'TOO_MANY_REDIRECTS':
    case 'UNREACHABLE':
      return new AppError(422, `Could not fetch url: ${r.message}`);
  }
}

export interface PreparedMedia {
  ref: MediaRef;
  /** Staged by this service (URL media): ours to delete when the send does not happen. */
  stagedHere: boolean;
}

export async function prepareMedia(deps: Deps, content: MediaContent, messageId: string): Promise<PreparedMedia> {
  const kind = content.type;
  const limit = limitOf(deps.config, kind);
  const source = content.media;
  let key: string;
  let size: number;
  let head: Buffer;
  let transport: string | undefined;
  let stagedHere = false;
  if (source.kind === 'url') {
    const fetched = await deps.fetcher.fetch(source.url, {
      maxBytes: limit,
      acceptContentType: (t) => transportTypeAccepted(kind, t),
    });
    if (!fetched.ok) throw fetchRefusal(kind, limit, fetched);
    if (fetched.body.length === 0) throw new AppError(422, 'Could not fetch url: it answered with an empty body');
    transport = fetched.contentType;
    head = fetched.body.subarray(0, SNIFF_BYTES);
    size = fetched.body.length;
    // Type checks before staging: a refused send leaves nothing behind.
    const type = resolveMediaType({
      kind,
      declared: content.mimetype,
      transport,
      transportIsUrl: true,
      sniffed: (await sniff(head))?.mime,
    });
    key = await deps.media.put(messageId, fetched.body);
    stagedHere = true;
    return { stagedHere, ref: { key, size, mimetype: type, ...fileNameOf(content, source.url, undefined) } };
  }
  key = source.key;
  size = await deps.media.size(key);
  if (size === 0 || size !== source.size)
    throw badRequest('The uploaded media is no longer available (it expired); send it again');
  if (size > limit) throw tooLarge(kind, limit);
  head = await deps.media.head(key, SNIFF_BYTES);
  const sniffed = await sniff(head);
  const type = resolveMediaType({
    kind,
    declared: content.mimetype,
    transport: source.mimetype,
    transportIsUrl: false,
    sniffed: sniffed?.mime,
  });
  return { stagedHere, ref: { key, size, mimetype: type, ...fileNameOf(content, undefined, sniffed?.ext) } };
}

function fileNameOf(content: MediaContent, url: string | undefined, ext: string | undefined): { fileName?: string } {
  return content.type === 'document' ? { fileName: documentFileName(content.filename, url, ext) } : {};
}

/** Text, location, contact and poll: nothing to fetch. */
export function simpleContent(content: Simple): OutboundContent {
  switch (content.type) {
    case 'text':
      return { type: 'text', text: content.text };
    case 'location':
      return {
        type: 'location',
        latitude: content.latitude,
        longitude: content.longitude,
        ...(content.name ? { name: content.name } : {}),
        ...(content.address ? { address: content.address } : {}),
      };
    case 'contact':
      return {
        type: 'contact',
        displayName: content.contactName,
        vcard: buildVcard(content.contactName, content.contactPhone),
      };
    case 'poll':
      return {
        type: 'poll',
        name: content.name,
        options: content.options,
        selectableCount: content.multipleAnswers ? 0 : 1, // 0 = any number of answers
      };
  }
}

export function mediaContent(content: MediaContent, ref: MediaRef): OutboundContent {
  switch (content.type) {
    case 'image':
    case 'video':
      return { type: content.type, media: ref, ...(content.caption ? { caption: content.caption } : {}) };
    case 'audio':
      return { type: 'audio', media: ref };
    case 'document':
      return {
        type: 'document',
        media: ref,
        fileName: ref.fileName ?? 'file',
        ...(content.caption ? { caption: content.caption } : {}),
      };
  }
}
