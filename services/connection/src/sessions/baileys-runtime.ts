/**
 * Process-wide Baileys setup, once at start: the strict signature check (rc14's Curve.verify accepts any
 * signature), the leaf-key and validity-date checks of the server's certificate chain (rc14 has neither), the
 * emulator's root key when WA_SERVER_ROOT_KEY is set (tests/demo only), and no key material on stdout (libsignal
 * logs whole session records, private keys included, via console.info).
 */
import { installServerCertChecks, installStrictCurveVerify, trustServerRootKey } from '@wahooks/wa-trust';

let installed = false;

export function setupBaileysRuntime(options: { serverRootKey?: string } = {}): void {
  installStrictCurveVerify();
  installServerCertChecks();
  if (options.serverRootKey) trustServerRootKey(options.serverRootKey);
  if (installed) return;
  installed = true;
  const info = console.info.bind(console);
  console.info = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /session/i.test(args[0])) return;
    info(...args);
  };
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Closing open session')) return;
    warn(...args);
  };
}

/** `WA_VERSION=2,3000,1023223821` → [2, 3000, 1023223821]; undefined keeps Baileys' bundled version. */
export function parseWaVersion(text: string | undefined): [number, number, number] | undefined {
  if (!text) return undefined;
  const parts = text.split(/[.,]/).map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new Error(`WA_VERSION must be three integers like 2,3000,1023223821 (got "${text}")`);
  }
  return parts as [number, number, number];
}
