/**
 * Inbound media on demand: the file name of a media URL → the kept message it names (chat, sender and id:
 * events/media-file.ts) → its bytes, downloaded from WhatsApp's media host under the limits of media-download.ts
 * and decrypted (asking the phone to re-upload when the host has dropped them).
 */
import type { WAMessage } from '@whiskeysockets/baileys';
import { AppError } from '@wahooks/contracts';
import type { Sql } from '@wahooks/db';
import { contentOf, legacyMediaFileName, mediaFileName, mediaOf, parseMediaFileName } from '../events/index.js';
import { DEFAULT_MEDIA_POLICY, downloadMedia, MediaRefused, type MediaDownloadPolicy } from './media-download.js';
import { messagesWithId } from './session-store.js';

export interface InboundMediaOptions {
  policy?: MediaDownloadPolicy;
  /** Asks the sender's phone to upload expired media again (needs the live socket). */
  reuploadRequest(msg: WAMessage): Promise<WAMessage>;
}

/** 502 with the reason: the tenant's request was fine, the sender's media is not. */
const unavailable = (err: MediaRefused) => new AppError(502, `Media unavailable: ${err.message}`);

/**
 * undefined when the name is not one this connection handed out (unknown message, no media, another name). A
 * name from before names carried the chat and sender (`<id>.<ext>`) is honoured only for the one message with
 * that id. A refused or failed download is a 502 naming why; nothing else of the session is affected.
 */
export async function downloadInboundMedia(
  sql: Sql,
  connectionId: string,
  fileName: string,
  opts: InboundMediaOptions,
): Promise<{ data: Buffer; mimetype: string } | undefined> {
  const ref = parseMediaFileName(fileName);
  if (!ref) return undefined;
  const kept = await messagesWithId(sql, connectionId, ref.keyId);
  const nameOf = ref.legacy ? legacyMediaFileName : mediaFileName;
  const named = kept.filter((m) => {
    const media = mediaOf(contentOf(m));
    return media !== undefined && nameOf(m.key, media) === fileName;
  });
  if (named.length !== 1 || (ref.legacy && kept.length !== 1)) return undefined;
  const policy = opts.policy ?? DEFAULT_MEDIA_POLICY;
  let msg = named[0]!;
  let media = mediaOf(contentOf(msg))!;
  try {
    let data: Buffer;
    try {
      data = await downloadMedia(media, policy);
    } catch (err) {
      // the host dropped it: the phone uploads it again (its new location is checked like the first)
      if (!(err instanceof MediaRefused && err.kind === 'http' && (err.status === 404 || err.status === 410)))
        throw err;
      msg = await opts.reuploadRequest(msg);
      const again = mediaOf(contentOf(msg));
      if (!again) throw new MediaRefused('not_allowed', 'the re-uploaded message has no media');
      media = again;
      data = await downloadMedia(media, policy);
    }
    return { data, mimetype: media.message.mimetype ?? 'application/octet-stream' };
  } catch (err) {
    if (err instanceof MediaRefused) throw unavailable(err);
    throw err;
  }
}
