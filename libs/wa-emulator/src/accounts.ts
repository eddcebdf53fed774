import { jidDecode, jidEncode, type KeyPair, type proto } from '@whiskeysockets/baileys';
import type { Connection } from './connection.js';
import type { OutboundRecord } from './outbound-record.js';
import { SignalPeer, type CompanionBundle } from './signal-peers.js';

/** A linked account: the emulated phone (device 0) plus the one companion device that Baileys is. */
export interface Account {
  phone: string; // digits only
  lidUser: string;
  deviceId: number;
  companionJid: string; // phone:device@s.whatsapp.net
  companionLid: string; // lid:device@lid
  noiseKey: Buffer; // the client's Noise static key: its login credential
  advAccountKey: KeyPair;
  primary: SignalPeer;
  bundle?: CompanionBundle;
  firstLogin: boolean;
  loggedOut: boolean;
  connection?: Connection;
  /** deliveries waiting for the client to come (back) online, in order */
  offlineQueue: DeliveryJob[];
  /** stanzas written to the client but not acked yet, by stanza id: redelivered if the connection dies first */
  unacked: Map<string, DeliveryJob>;
  outbound: OutboundRecord[];
  /** the last contact messages delivered to it, by id: what a retry receipt from the client asks for again */
  inboundSent: Map<string, InboundResend>;
}

/** Enough to send a contact's 1:1 message again, re-encrypted on a fresh session (stanzas/inbound-retry.ts). */
export interface InboundResend {
  contact: Contact;
  message: proto.IMessage;
  options: { id: string; pushName: string; addressing: 'pn' | 'lid'; stanzaType: string; damaged?: boolean };
  resends: number;
}

/** Writes one stanza (Signal-encrypting it at that moment if needed); `offline` marks offline-queue delivery. */
export type DeliveryJob = (connection: Connection, offline: boolean) => Promise<void>;

/** Profile data a contact shows to the linked clients. */
export interface ContactProfile {
  pushName: string;
  status: string;
  pictureUrl?: string;
  /** last presence the contact announced; answered to presence subscriptions */
  presence: 'available' | 'unavailable';
}

export interface Contact {
  peer: SignalPeer;
  profile: ContactProfile;
}

/** A group chat: every member is a linked account or a contact (phone numbers). */
export interface Group {
  id: string; // <creator>-<timestamp>
  jid: string; // <id>@g.us
  subject: string;
  creator: string;
  participants: string[];
  creation: number; // unix seconds
  /** members made admins (the creator is the superadmin and not listed); see group-changes.ts */
  admins?: string[];
  description?: string;
  descriptionId?: string;
  inviteCode?: string;
}

/** Every phone number the emulated server knows: linked accounts and their contacts, by PN and by LID. */
export class Directory {
  private readonly accounts = new Map<string, Account>();
  private readonly accountsByLid = new Map<string, Account>();
  private readonly contacts = new Map<string, Contact>();
  private readonly contactsByLid = new Map<string, Contact>();
  private readonly groups = new Map<string, Group>();
  /** numbers a usync contact query reports as not on WhatsApp (`Emulator.setOnWhatsApp`) */
  readonly notOnWhatsApp = new Set<string>();
  private nextPhone: number;
  private nextLid = 100000000000000;

  constructor(firstPhone = 15550000001) {
    this.nextPhone = firstPhone;
  }

  allocatePhone(): string {
    while (this.accounts.has(String(this.nextPhone))) this.nextPhone++;
    return String(this.nextPhone++);
  }

  allocateLid(): string {
    return String(this.nextLid++);
  }

  account(phone: string): Account | undefined {
    return this.accounts.get(phone);
  }

  listAccounts(): Account[] {
    return [...this.accounts.values()];
  }

  accountCount(): number {
    return this.accounts.size;
  }

  addAccount(account: Account): void {
    this.accounts.set(account.phone, account);
    this.accountsByLid.set(account.lidUser, account);
  }

  /** The contact with this phone number, created (with a fresh LID and Signal identity) on first use. */
  contact(phone: string): Contact {
    let contact = this.contacts.get(phone);
    if (!contact) {
      const peer = new SignalPeer(phone, this.allocateLid());
      contact = {
        peer,
        profile: { pushName: `Contact ${phone}`, status: 'Hey there! I am using WhatsApp.', presence: 'unavailable' },
      };
      this.contacts.set(phone, contact);
      this.contactsByLid.set(peer.lidUser, contact);
    }
    return contact;
  }

  group(jid: string): Group | undefined {
    return this.groups.get(jid);
  }

  /** The groups `phone` is a member of. */
  groupsOf(phone: string): Group[] {
    return [...this.groups.values()].filter((g) => g.participants.includes(phone));
  }

  /** The group `jid` (created on first use, by `creator`), with `members` added. */
  ensureGroup(jid: string, creator: string, members: string[], subject?: string): Group {
    let group = this.groups.get(jid);
    if (!group) {
      const id = jid.split('@')[0]!;
      group = {
        id,
        jid,
        subject: subject ?? `Group ${id}`,
        creator,
        participants: [],
        creation: Math.floor(Date.now() / 1000),
      };
      this.groups.set(jid, group);
    }
    if (subject !== undefined) group.subject = subject;
    for (const member of [creator, ...members])
      if (!group.participants.includes(member)) group.participants.push(member);
    return group;
  }

  /** PN user jid and LID of any member (account or contact). */
  memberJids(phone: string): { pn: string; lid: string } {
    const account = this.accounts.get(phone);
    const lidUser = account?.lidUser ?? this.contact(phone).peer.lidUser;
    return { pn: jidEncode(phone, 's.whatsapp.net'), lid: jidEncode(lidUser, 'lid') };
  }

  knownContacts(): Contact[] {
    return [...this.contacts.values()];
  }

  /** Any jid (PN or LID, with or without device) → the account it belongs to. */
  accountForJid(jid: string): Account | undefined {
    const decoded = jidDecode(jid);
    if (!decoded) return undefined;
    return decoded.server === 'lid' ? this.accountsByLid.get(decoded.user) : this.accounts.get(decoded.user);
  }

  /** Any jid → the server-side Signal peer behind device 0 of that user (an account's phone or a contact). */
  peerForJid(jid: string): SignalPeer | undefined {
    const decoded = jidDecode(jid);
    if (!decoded) return undefined;
    const account = this.accountForJid(jid);
    if (account) return account.primary;
    const contact = decoded.server === 'lid' ? this.contactsByLid.get(decoded.user) : this.contacts.get(decoded.user);
    return contact?.peer;
  }

  contactForJid(jid: string): Contact | undefined {
    const decoded = jidDecode(jid);
    if (!decoded) return undefined;
    return decoded.server === 'lid' ? this.contactsByLid.get(decoded.user) : this.contacts.get(decoded.user);
  }
}

export const pnJid = (user: string, device?: number): string => jidEncode(user, 's.whatsapp.net', device || undefined);
