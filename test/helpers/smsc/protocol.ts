// The test SMSC's settings, records and control messages, shared by the child process and its controller.

export interface SmscConfig {
  systemId: string;
  password: string;
  /** Status to refuse every bind with (0 accepts binds with the right credentials). */
  bindStatus: number;
  /** How message ids look: decimal, lower or upper hex, left-padded with zeros to `width`, from `offset` + 1. */
  ids: { format: 'decimal' | 'hex' | 'HEX'; width: number; offset: number };
  receipts: {
    /** 'before' sends the receipt ahead of its submit_sm_resp. */
    mode: 'off' | 'after' | 'before';
    stat: string;
    err: string;
    /** How the receipt writes the id: as given, in the other case, or with extra leading zeros. */
    idCase: 'same' | 'upper' | 'lower';
    idZeros: number;
    /** Send receipts for every accepted part, asked for or not (as some SMSCs do). */
    allParts: boolean;
    /** Extra copies of every receipt. */
    duplicates: number;
    /** Also send receipted_message_id and message_state TLVs. */
    tlvs: boolean;
    delayMs: number;
    /** Destination address → the stat its receipts carry (with err 901 unless DELIVRD), or 'none' for no receipt. */
    perDest: Record<string, string>;
  };
  faults: {
    throttlePct: number;
    queueFullPct: number;
    /** ESME_RSYSERR: transient, but no throttle, so the gateway hands it back to the queue for a retry. */
    sysErrPct: number;
    /** Accept the part but never answer it. */
    dropPct: number;
    /** Destination address → the status every submit to it gets, or 'drop' to accept it unanswered. */
    perDest: Record<string, number | 'drop'>;
    /** Answer nothing at all, binds and enquire_link included (a hung SMSC). */
    silent: boolean;
  };
  /** Delay before every submit_sm_resp (a slow SMSC; fills the window). */
  respondDelayMs: number;
}

export type ConfigPatch = {
  [K in keyof SmscConfig]?: SmscConfig[K] extends object ? Partial<SmscConfig[K]> : SmscConfig[K];
};

export const DEFAULT_CONFIG: SmscConfig = {
  systemId: 'qun',
  password: 'secret',
  bindStatus: 0,
  ids: { format: 'hex', width: 0, offset: 0 },
  receipts: {
    mode: 'after',
    stat: 'DELIVRD',
    err: '000',
    idCase: 'same',
    idZeros: 0,
    allParts: false,
    duplicates: 0,
    tlvs: false,
    delayMs: 0,
    perDest: {},
  },
  faults: { throttlePct: 0, queueFullPct: 0, sysErrPct: 0, dropPct: 0, perDest: {}, silent: false },
  respondDelayMs: 0,
};

export interface BindRecord {
  at: number;
  command: string;
  systemId: string;
  interfaceVersion: number;
  status: number;
}

export interface SubmitRecord {
  at: number;
  session: number;
  source: string;
  sourceTon: number;
  sourceNpi: number;
  dest: string;
  destTon: number;
  destNpi: number;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  udh: { ref: number; total: number; seq: number } | null;
  /** The part's octets after any UDH. */
  bodyHex: string;
  /** The octets including the UDH (what must fit in 140). */
  octets: number;
  text: string;
  status: number;
  messageId: string | null;
  /** Accepted but never answered (dropPct). */
  unanswered: boolean;
}

/** A logical text the SMSC accepted: all its parts, reassembled. */
export interface ReceivedText {
  from: string;
  to: string;
  text: string;
  parts: number;
  messageIds: string[];
}

export interface MoRequest {
  from: string;
  to: string;
  text: string;
  encoding?: 'gsm7' | 'ucs2';
  /** How a long text is marked: UDH (default) or sar_* TLVs. */
  concat?: 'udh' | 'sar';
  udh16?: boolean;
  ref?: number;
  /** Send every part twice (a lost deliver_sm_resp). */
  duplicate?: boolean;
  /** Send the parts last first. */
  reverse?: boolean;
}

export type Op =
  | { op: 'configure'; patch: ConfigPatch }
  | { op: 'received' }
  | { op: 'submits' }
  | { op: 'binds' }
  | { op: 'sendMo'; mo: MoRequest }
  | { op: 'drop' }
  /** A restarted SMSC: every connection cut, and message ids counted from 0 again (as SMPPSim does). */
  | { op: 'restart' }
  | { op: 'reset' }
  | { op: 'stats' };

export interface Stats {
  sessions: number;
  bound: number;
  enquireLinks: number;
  /** Requests left unanswered because the SMSC was silent. */
  ignored: number;
  /** command_status of every deliver_sm_resp received, by status. */
  deliverResponses: Record<string, number>;
}

export type Request = Op & { id: number };
export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
