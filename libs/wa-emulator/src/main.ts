import { startEmulator } from './emulator.js';

// libsignal prints whole session records (private keys included) with console.info("Closing session:", …)
console.info = () => undefined;

const port = Number(process.env.WA_EMULATOR_PORT ?? 7777);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`WA_EMULATOR_PORT must be a port number, got ${process.env.WA_EMULATOR_PORT}`);
  process.exit(1);
}
const autoReceipt = process.env.WA_EMULATOR_AUTO_RECEIPT ?? 'delivered';
if (autoReceipt !== 'none' && autoReceipt !== 'delivered' && autoReceipt !== 'read') {
  console.error(`WA_EMULATOR_AUTO_RECEIPT must be none, delivered or read, got ${autoReceipt}`);
  process.exit(1);
}
const retryReceipts = Number(process.env.WA_EMULATOR_RETRY_RECEIPTS ?? 5);
if (!Number.isInteger(retryReceipts) || retryReceipts < 0 || retryReceipts > 100) {
  console.error(`WA_EMULATOR_RETRY_RECEIPTS must be 0 (none) to 100, got ${process.env.WA_EMULATOR_RETRY_RECEIPTS}`);
  process.exit(1);
}
const emulator = await startEmulator({
  port,
  host: process.env.WA_EMULATOR_HOST ?? '127.0.0.1',
  autoReceipt,
  retryReceipts,
  // a fixed root keeps WA_SERVER_ROOT_KEY valid across emulator restarts
  rootPrivateKey: process.env.WA_EMULATOR_ROOT_PRIVATE_KEY || undefined,
  log: process.env.WA_EMULATOR_LOG ? (...args) => console.error('[wa-emulator]', ...args) : undefined,
  logStanzas: process.env.WA_EMULATOR_LOG === 'stanzas',
});
console.log(
  JSON.stringify({
    event: 'listening',
    url: emulator.url,
    control: `${emulator.baseUrl}/control`,
    rootKey: emulator.rootPublicKey,
  }),
);

const shutdown = (): void => {
  emulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
