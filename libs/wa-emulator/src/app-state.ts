/**
 * App-state sync (syncd) as the server and the account's phone play it. The phone shares one app-state sync key
 * with the linked device (protocolMessage APP_STATE_SYNC_KEY_SHARE, on its first login); every change the phone
 * makes (a label edit, a label on a chat…) becomes one patch of its collection (`regular` for labels), encrypted
 * and MAC'd under that key, with the collection's LT hash and version moved on; the server keeps the patches and
 * tells the linked device with `<notification type="server_sync">`, which then fetches every patch after its own
 * version with `<iq xmlns="w:sync:app:state">`. Patches are encoded with Baileys' own `encodeSyncdPatch` (the
 * same LT hash, value/index/snapshot/patch MACs the client verifies); which patches to send, versions, keys and
 * notifications are the server's side, here. Patches the linked device sends itself (`sock.addLabel`,
 * `chatModify`) are checked against the server's state and kept, as the server does.
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  decodeSyncdPatch,
  encodeSyncdPatch,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  newLTHashState,
  proto,
  type BinaryNode,
  type ChatMutation,
  type LTHashState,
  type WAPatchCreate,
  type WAPatchName,
} from '@whiskeysockets/baileys';
import type { Account } from './accounts.js';
import type { Connection } from './connection.js';
import type { ServerContext } from './context.js';
import { sendFromPhone } from './stanzas/phone-messages.js';
import { nowSeconds, replyResult } from './stanzas/reply.js';

/** One collection as the server holds it: the phone's LT hash state and every patch so far (version = index+1). */
interface Collection {
  state: LTHashState;
  /** encoded SyncdPatch (with its version), oldest first */
  patches: Uint8Array[];
}

/** An app-state sync key: 6-byte id, 32 bytes of key data, when it was made (ms), as the key share carries it. */
interface SyncKey {
  keyId: Buffer;
  keyData: Buffer;
  timestamp: number;
}

const newSyncKey = (): SyncKey => ({
  keyId: Buffer.concat([Buffer.alloc(2), randomBytes(4)]), // 6 bytes, like the phone's key ids
  keyData: randomBytes(32),
  timestamp: Date.now(),
});

/** An account's app-state: its sync keys (what the phone shares; new patches use the newest) and collections. */
export interface AppState {
  /** the key new patches are encrypted and MAC'd under */
  keyId: Buffer;
  keyData: Buffer;
  /** every key the phone made, the current one included, by base64 id (older patches stay under theirs) */
  keys: Map<string, SyncKey>;
  collections: Map<string, Collection>;
  /** every mutation applied so far, oldest first (label state is replayed from these: labels.ts) */
  mutations: ChatMutation[];
}

const states = new WeakMap<Account, AppState>();

/** The app-state of an account (made on first use, with a fresh sync key). */
export function appStateOf(account: Account): AppState {
  let state = states.get(account);
  if (!state) {
    const key = newSyncKey();
    state = {
      keyId: key.keyId,
      keyData: key.keyData,
      keys: new Map([[key.keyId.toString('base64'), key]]),
      collections: new Map(),
      mutations: [],
    };
    states.set(account, state);
  }
  return state;
}

/** The key share the phone sends its linked device (so it can decrypt and verify the patches): every key. */
export function appStateKeyShare(account: Account): proto.IMessage {
  const state = appStateOf(account);
  return {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
      appStateSyncKeyShare: {
        // the newest last: Baileys takes the last key of a share as the one to encrypt its own patches with
        keys: [...state.keys.values()]
          .sort((a, b) => Number(a.keyId.equals(state.keyId)) - Number(b.keyId.equals(state.keyId)))
          .map((key) => ({
            keyId: { keyId: key.keyId },
            keyData: {
              keyData: key.keyData,
              fingerprint: { rawId: randomInt(1, 2 ** 31), currentIndex: 0, deviceIndexes: [0] },
              timestamp: key.timestamp,
            },
          })),
      },
    },
  };
}

/**
 * The phone shares its keys again (on demand, as after a key request), after making a new current key when
 * `rotate`: later patches use the new key, earlier ones keep theirs. Queued while the client is offline.
 */
export function shareAppStateKeys(ctx: ServerContext, account: Account, rotate = false): { keyId: string } {
  const state = appStateOf(account);
  if (rotate) {
    const key = newSyncKey();
    state.keys.set(key.keyId.toString('base64'), key);
    state.keyId = key.keyId;
    state.keyData = key.keyData;
  }
  ctx.deliver(account, async (connection) =>
    sendFromPhone(connection, appStateKeyShare(account), { category: 'peer' }),
  );
  return { keyId: state.keyId.toString('base64') };
}

function collectionOf(state: AppState, name: string): Collection {
  let collection = state.collections.get(name);
  if (!collection) state.collections.set(name, (collection = { state: newLTHashState(), patches: [] }));
  return collection;
}

function keyLookup(state: AppState) {
  return async (id: string) => {
    const key = state.keys.get(id);
    return key ? proto.Message.AppStateSyncKeyData.fromObject({ keyData: key.keyData }) : undefined;
  };
}

/**
 * The phone makes one change: a patch of `patch.type` at the next version, kept by the server, and a
 * `server_sync` notification to the linked device (queued while it is offline, redelivered until acked).
 */
export async function phoneAppStateChange(ctx: ServerContext, account: Account, patch: WAPatchCreate): Promise<void> {
  const state = appStateOf(account);
  const collection = collectionOf(state, patch.type);
  const encoded = await encodeSyncdPatch(patch, state.keyId.toString('base64'), collection.state, keyLookup(state));
  collection.state = encoded.state;
  collection.patches.push(
    proto.SyncdPatch.encode({ ...encoded.patch, version: { version: encoded.state.version } }).finish(),
  );
  const mutation: ChatMutation = {
    syncAction: proto.SyncActionData.fromObject({
      index: Buffer.from(JSON.stringify(patch.index)),
      value: patch.syncAction,
      version: patch.apiVersion,
    }),
    index: patch.index,
  };
  state.mutations.push(mutation);
  notifyServerSync(ctx, account, patch.type, encoded.state.version);
}

function notifyServerSync(ctx: ServerContext, account: Account, name: string, version: number): void {
  if (account.loggedOut) return;
  const id = `${randomInt(1e9, 1e10 - 1)}`;
  const node: BinaryNode = {
    tag: 'notification',
    attrs: { from: 's.whatsapp.net', type: 'server_sync', id, t: `${nowSeconds()}` },
    content: [{ tag: 'collection', attrs: { name, version: `${version}` } }],
  };
  ctx.deliver(account, async (connection) => connection.sendNode(node), id);
}

/** The versions of every collection the phone changed (tests). */
export function appStateVersions(account: Account): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, c] of appStateOf(account).collections) out[name] = c.state.version;
  return out;
}

/**
 * A patch the linked device sent (its own change): accepted only at the server's current version and when its
 * MACs verify under the shared key, then kept like the phone's. Answers whether it was accepted.
 */
async function acceptClientPatch(state: AppState, name: string, baseVersion: number, bytes: Uint8Array) {
  const collection = collectionOf(state, name);
  if (baseVersion !== collection.state.version) return false;
  const patch = proto.SyncdPatch.decode(bytes);
  const version = baseVersion + 1;
  patch.version = { version };
  const mutations: ChatMutation[] = [];
  try {
    const result = await decodeSyncdPatch(
      patch,
      name as WAPatchName,
      collection.state,
      keyLookup(state),
      (m) => mutations.push(m),
      true,
    );
    collection.state = { version, hash: result.hash, indexValueMap: result.indexValueMap };
  } catch {
    return false;
  }
  collection.patches.push(proto.SyncdPatch.encode(patch).finish());
  state.mutations.push(...mutations);
  return true;
}

/**
 * `<iq xmlns="w:sync:app:state">`: for each collection asked, every patch after the version the client has
 * (client patches inside are applied first). No snapshots: a client at version 0 gets all patches from 1, which
 * decode to the same state (a snapshot would need the media CDN).
 */
export async function answerAppStateSync(connection: Connection, node: BinaryNode): Promise<void> {
  const account = connection.account;
  const asked = getBinaryNodeChildren(getBinaryNodeChild(node, 'sync'), 'collection');
  const state = account ? appStateOf(account) : undefined;
  const answers: BinaryNode[] = [];
  for (const c of asked) {
    const name = c.attrs.name!;
    let from = Number(c.attrs.version ?? '0') || 0;
    const sent = getBinaryNodeChildren(c, 'patch');
    if (state && sent.length) {
      for (const p of sent) {
        if (p.content instanceof Uint8Array && (await acceptClientPatch(state, name, from, p.content))) from++;
        else {
          answers.push({ tag: 'collection', attrs: { name, type: 'error' }, content: [conflict()] });
          break;
        }
      }
      if (answers.some((a) => a.attrs.name === name)) continue;
      answers.push({ tag: 'collection', attrs: { name, version: `${from}` } });
      continue;
    }
    const collection = state?.collections.get(name);
    const patches = collection ? collection.patches.slice(from) : [];
    const version = collection?.state.version ?? from;
    answers.push({
      tag: 'collection',
      attrs: { name, version: `${version}` },
      content: patches.length
        ? [{ tag: 'patches', attrs: {}, content: patches.map((p) => ({ tag: 'patch', attrs: {}, content: p })) }]
        : undefined,
    });
  }
  if (connection.isOpen) replyResult(connection, node, [{ tag: 'sync', attrs: {}, content: answers }]);
}

const conflict = (): BinaryNode => ({ tag: 'error', attrs: { code: '409', text: 'conflict' } });
