// QR codes both ways: read the string out of the PNG the API returns (what a phone's camera does), and draw it
// again in the terminal so the demo shows what a user would scan.
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';

/** The text encoded in a base64 PNG QR code, or undefined when it does not decode. */
export function decodeQrPng(base64) {
  const png = PNG.sync.read(Buffer.from(base64, 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

const QUIET_ZONE = 2; // light modules around the code, so a scanner finds its edges

/**
 * `text` as a QR code drawn with half blocks (two module rows per text line), light modules as ink: it reads right
 * on the usual dark terminal background and needs no colour codes (so it survives logs and pipes).
 */
export function renderQrForTerminal(text) {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const size = modules.size;
  const dark = (row, col) =>
    row >= 0 && col >= 0 && row < size && col < size ? Boolean(modules.get(row, col)) : false;
  const lines = [];
  for (let row = -QUIET_ZONE; row < size + QUIET_ZONE; row += 2) {
    let line = '';
    for (let col = -QUIET_ZONE; col < size + QUIET_ZONE; col++) {
      const top = !dark(row, col);
      const bottom = row + 1 < size + QUIET_ZONE && !dark(row + 1, col);
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** A small PNG to send as the demo's image (a QR code of `text`, 4 px per module). */
export function demoImagePng(text) {
  return QRCode.toBuffer(text, { type: 'png', scale: 4, margin: 2 });
}
