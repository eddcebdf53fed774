import type { SignalDataSet, SignalDataTypeMap, SignalKeyStore } from '@whiskeysockets/baileys';

type Tables = { [T in keyof SignalDataTypeMap]?: Record<string, SignalDataTypeMap[T]> };

/** In-memory SignalKeyStore (emulator peers, tests, benchmark). `tables` is exposed for inspection. */
export interface MemKeyStore extends SignalKeyStore {
  tables: Tables;
}

export function createMemKeyStore(): MemKeyStore {
  const tables: Tables = {};
  return {
    tables,
    get: async (type, ids) => {
      const table = (tables[type] ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const id of ids) if (table[id] != null) out[id] = table[id];
      return out as never;
    },
    set: async (data: SignalDataSet) => {
      for (const type of Object.keys(data) as (keyof SignalDataTypeMap)[]) {
        const table = (tables[type] ??= {}) as Record<string, unknown>;
        for (const [id, value] of Object.entries(data[type] ?? {})) {
          if (value == null) delete table[id];
          else table[id] = value;
        }
      }
    },
  };
}
