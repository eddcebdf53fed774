import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { getMediaKeys, type MediaType } from '@whiskeysockets/baileys';

export interface EncryptedMedia {
  mediaKey: Buffer;
  /** what the CDN stores: AES-256-CBC ciphertext followed by the first 10 bytes of its HMAC-SHA256 */
  file: Buffer;
  fileSha256: Buffer;
  fileEncSha256: Buffer;
  fileLength: number;
}

const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** WhatsApp media encryption, as a phone does it before uploading (keys from HKDF(mediaKey, type info)). */
export async function encryptMedia(plaintext: Buffer, type: MediaType): Promise<EncryptedMedia> {
  const mediaKey = randomBytes(32);
  const { cipherKey, iv, macKey } = await getMediaKeys(mediaKey, type);
  const cipher = createCipheriv('aes-256-cbc', cipherKey, iv);
  const enc = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const mac = createHmac('sha256', macKey!).update(iv).update(enc).digest().subarray(0, 10);
  const file = Buffer.concat([enc, mac]);
  return { mediaKey, file, fileSha256: sha256(plaintext), fileEncSha256: sha256(file), fileLength: plaintext.length };
}

/** Inverse of encryptMedia; the trailing MAC is checked (Baileys itself does not). */
export async function decryptMedia(file: Buffer, mediaKey: Uint8Array, type: MediaType): Promise<Buffer> {
  const { cipherKey, iv, macKey } = await getMediaKeys(mediaKey, type);
  const enc = file.subarray(0, file.length - 10);
  const mac = createHmac('sha256', macKey!).update(iv).update(enc).digest().subarray(0, 10);
  if (!mac.equals(file.subarray(file.length - 10))) throw new Error('media MAC mismatch');
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
  return Buffer.concat([decipher.update(enc), decipher.final()]);
}
