import { NOISE_WA_HEADER } from '@whiskeysockets/baileys';

/** WhatsApp Web framing: 3-byte big-endian length + payload; the client's first write starts with "WA",6,3. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(3 + payload.length);
  frame[0] = payload.length >> 16;
  frame.writeUInt16BE(payload.length & 0xffff, 1);
  frame.set(payload, 3);
  return frame;
}

export class FrameReader {
  private buffer = Buffer.alloc(0);
  private sawIntro = false;

  /** Appends raw socket bytes and returns every complete frame payload. */
  push(data: Buffer): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, data]);
    if (!this.sawIntro) {
      if (this.buffer.length < NOISE_WA_HEADER.length) return [];
      // no ED routing header: the emulator never hands out routingInfo
      this.buffer = this.buffer.subarray(NOISE_WA_HEADER.length);
      this.sawIntro = true;
    }
    const frames: Buffer[] = [];
    while (this.buffer.length >= 3) {
      const size = (this.buffer[0]! << 16) | this.buffer.readUInt16BE(1);
      if (this.buffer.length < size + 3) break;
      frames.push(Buffer.from(this.buffer.subarray(3, size + 3)));
      this.buffer = this.buffer.subarray(size + 3);
    }
    return frames;
  }
}
