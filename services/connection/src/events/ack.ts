/** WAHA ack numbers: Baileys' `proto.WebMessageInfo.Status` (ERROR 0 … PLAYED 5) shifted down by one. */
export const AckNames = { [-1]: 'ERROR', 0: 'PENDING', 1: 'SERVER', 2: 'DEVICE', 3: 'READ', 4: 'PLAYED' } as const;
export type Ack = keyof typeof AckNames;
export type AckName = (typeof AckNames)[Ack];

export function ackFromStatus(status: number | null | undefined): Ack | null {
  if (status === null || status === undefined) return null;
  const ack = status - 1;
  return ack in AckNames ? (ack as Ack) : null;
}

export const ackName = (ack: Ack | null): AckName | 'UNKNOWN' => (ack === null ? 'UNKNOWN' : AckNames[ack]);
