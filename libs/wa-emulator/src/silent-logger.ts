import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';

const noop = (): void => undefined;

/** Logger for the emulator's own Baileys repositories (peers): their internals are not our log output. */
export const silentLogger: ILogger = {
  level: 'silent',
  child: () => silentLogger,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
};
