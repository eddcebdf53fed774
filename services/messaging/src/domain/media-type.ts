/**
 * Which media type a send goes out with, and whether the bytes fit the kind of send. Sources, first that
 * applies: the body's `mimetype`, the type the bytes came with (a `data:` URL, the URL's Content-Type), what
 * the bytes look like (magic numbers, `file-type`); documents fall back to application/octet-stream. Bytes that
 * are clearly another kind of media (a PDF sent as an image) are refused (415).
 */
import { fileTypeFromBuffer } from 'file-type';
import { AppError, mediaTypeFits, type MediaKind } from '@wahooks/contracts';

/** Content types that say nothing about the bytes: judged by sniffing instead. */
export const GENERIC_TYPES = new Set([
  'application/octet-stream',
  'binary/octet-stream',
  'application/binary',
  'application/unknown',
  'application/x-download',
  'application/force-download',
]);

const bare = (type: string) => type.split(';')[0]!.trim().toLowerCase();

/** The URL's Content-Type is acceptable before its body is read: it fits the kind, or says nothing. */
export const transportTypeAccepted = (kind: MediaKind, contentType: string | undefined): boolean =>
  !contentType || GENERIC_TYPES.has(contentType) || mediaTypeFits(kind, contentType);

/** The media type (and usual extension) the first bytes show, if file-type knows them. */
export async function sniff(head: Uint8Array): Promise<{ mime: string; ext: string } | undefined> {
  try {
    const found = await fileTypeFromBuffer(head);
    return found ? { mime: found.mime, ext: found.ext } : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes file-type needs to recognise every format it knows. */
export const SNIFF_BYTES = 4100;

/** Containers that carry audio as often as video: an audio send may sniff as one of these. */
const AUDIO_CONTAINERS = new Set(['video/mp4', 'video/webm', 'video/3gpp', 'video/ogg', 'video/quicktime']);

/** Containers file-type reports as application/* that may hold audio or video. */
const AV_CONTAINERS = new Set(['application/ogg', 'application/mp4', 'application/x-matroska']);

function sniffContradicts(kind: MediaKind, sniffed: string): boolean {
  if (kind === 'document') return false;
  const family = sniffed.split('/')[0];
  if (!['image', 'video', 'audio', 'application'].includes(family!)) return false;
  if (kind === 'audio' && AUDIO_CONTAINERS.has(sniffed)) return false;
  if ((kind === 'audio' || kind === 'video') && AV_CONTAINERS.has(sniffed)) return false;
  return !sniffed.startsWith(`${kind}/`);
}

export const article: Record<MediaKind, string> = {
  image: 'an image',
  video: 'a video',
  audio: 'audio',
  document: 'a document',
};

export interface MediaTypeInput {
  kind: MediaKind;
  declared?: string; // the body's mimetype
  transport?: string; // from the data: URL or the URL's Content-Type
  transportIsUrl: boolean; // a wrong transport type is the URL's fault (415), a wrong data: URL the body's (400)
  sniffed?: string;
}

/** The media type to send with, or the AppError that refuses the media. */
export function resolveMediaType(input: MediaTypeInput): string {
  const { kind, sniffed } = input;
  if (sniffed && sniffContradicts(kind, sniffed))
    throw new AppError(415, `The media is ${sniffed}, not ${article[kind]}`);
  let type: string | undefined;
  if (input.declared) type = input.declared.trim();
  else if (input.transport && !GENERIC_TYPES.has(bare(input.transport))) {
    if (!mediaTypeFits(kind, input.transport)) {
      throw input.transportIsUrl
        ? new AppError(415, `url answered with content type ${bare(input.transport)}, not ${article[kind]}`)
        : new AppError(
            400,
            `mimetype must fit the send: the data URL says ${bare(input.transport)}, not ${article[kind]}`,
          );
    }
    type = input.transport;
  } else if (sniffed) type = kind === 'audio' && sniffed === 'application/ogg' ? 'audio/ogg' : sniffed;
  if (!type) {
    if (kind === 'document') return 'application/octet-stream';
    throw new AppError(400, `mimetype is required: the type of the media could not be detected`);
  }
  if (!mediaTypeFits(kind, type)) throw new AppError(400, `mimetype ${bare(type)} does not fit a ${kind} send`);
  // WhatsApp plays voice notes as Opus in Ogg; Baileys' own default for ptt.
  if (kind === 'audio' && bare(type) === 'audio/ogg') return 'audio/ogg; codecs=opus';
  return type;
}

/** A document's file name: the body's, else the URL's last path segment, else "file" (+ the sniffed extension). */
export function documentFileName(filename: string | undefined, url: string | undefined, ext?: string): string {
  if (filename?.trim()) return filename.trim();
  if (url) {
    try {
      const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '').trim();
      // eslint-disable-next-line no-control-regex -- control characters are what this refuses
      if (last && last.length <= 255 && !/[\\/\u0000-\u001f]/.test(last)) return last;
    } catch {
      // not decodable: fall through
    }
  }
  return ext ? `file.${ext}` : 'file';
}
