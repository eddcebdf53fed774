/**
 * Inbound media on demand: the file name of a media URL → the kept message → its bytes, downloaded from
 * WhatsApp's media host and decrypted (asking the phone to re-upload when the host has dropped them).
 */
import { downloadMediaMessage, type WAMessage } from '@whiskeysockets/baileys';
import type { Logger } from '@wahooks/telemetry';
import type { Sql } from '@wahooks/db';
import { contentOf, mediaFileName, mediaOf, parseMediaFileName } from '../events/index.js';
import { loadMessage } from './session-store.js';

export interface InboundMediaOptions {
  logger: Logger; // Baileys' logger
  /** Asks the sender's phone to upload expired media again (needs the live socket). */
  reuploadRequest(msg: WAMessage): Promise<WAMessage>;
}

/** undefined when the name is not one this connection handed out (unknown message, no media, other name). */
export async function downloadInboundMedia(
  sql: Sql,
  connectionId: string,
  fileName: string,
  opts: InboundMediaOptions,
): Promise<{ data: Buffer; mimetype: string } | undefined> {
  const ref = parseMediaFileName(fileName);
  if (!ref) return undefined;
  const msg = await loadMessage(sql, connectionId, ref.keyId);
  const media = mediaOf(msg ? contentOf(msg) : undefined);
  if (!msg || !media || mediaFileName(msg.key, media) !== fileName) return undefined;
  const data = await downloadMediaMessage(
    msg,
    'buffer',
    {},
    { logger: opts.logger, reuploadRequest: (m) => opts.reuploadRequest(m) },
  );
  return { data, mimetype: media.message.mimetype ?? 'application/octet-stream' };
}
