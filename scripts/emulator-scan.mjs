#!/usr/bin/env node
// Demo helper: plays the phone. Fetches a connection's QR PNG from the gateway, decodes it and asks the
// WhatsApp emulator (npm run emulator) to scan it, which links that connection to an emulated number.
//   node scripts/emulator-scan.mjs <connectionId>
// Env: WAHOOKS_TOKEN (a wh_ token of the connection's owner), WAHOOKS_API (default http://localhost:3000),
//      WA_EMULATOR_URL (default http://127.0.0.1:7777).
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

const [id] = process.argv.slice(2);
const api = process.env.WAHOOKS_API ?? 'http://localhost:3000';
const emulator = process.env.WA_EMULATOR_URL ?? 'http://127.0.0.1:7777';
const token = process.env.WAHOOKS_TOKEN;
if (!id || !token) {
  console.error('usage: WAHOOKS_TOKEN=wh_… node scripts/emulator-scan.mjs <connectionId>');
  process.exit(2);
}

// The QR appears a moment after the connection is created: poll while the gateway answers 503 (about 30 s).
let qr;
for (let i = 0; i < 30 && !qr; i++) {
  const res = await fetch(`${api}/api/connections/${id}/qr`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json();
  if (res.status === 503) {
    process.stderr.write(`waiting for the QR (${body.message})\n`);
    await new Promise((r) => setTimeout(r, 1000));
    continue;
  }
  if (!res.ok) throw new Error(`GET qr → ${res.status} ${JSON.stringify(body)}`);
  if (body.connected) {
    console.log(JSON.stringify({ connected: true }));
    process.exit(0);
  }
  const png = PNG.sync.read(Buffer.from(body.value, 'base64'));
  qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
  if (!qr) throw new Error('the QR image did not decode');
}
if (!qr) throw new Error('no QR within 30 s: is the connection service running with WA_WEBSOCKET_URL set?');
const res = await fetch(`${emulator}/control/scan`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ qr }),
});
console.log(JSON.stringify(await res.json())); // {phone, jid}: the emulated number now linked
process.exit(res.ok ? 0 : 1);
