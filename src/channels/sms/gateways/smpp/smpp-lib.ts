// Typed access to the `smpp` npm package (CommonJS, no type definitions): the few parts Qun and the test
// SMSC use, plus the one library behaviour Qun switches off (its text codec).
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Server, Socket } from 'node:net';

export type PduFields = Record<string, unknown>;

export interface Pdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  isResponse(): boolean;
  response(fields?: PduFields): Pdu;
  [field: string]: unknown;
}

export interface LibSession extends EventEmitter {
  socket: Socket;
  /** Assigns the sequence number synchronously; false when the socket is no longer writable. */
  send(pdu: Pdu, onResponse?: (response: Pdu) => void): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
}

export interface LibServer extends Server {
  sessions: LibSession[];
}

interface SmppModule {
  connect(options: { host: string; port: number }): LibSession;
  createServer(options: object, listener: (session: LibSession) => void): LibServer;
  PDU: new (command: string, fields?: PduFields) => Pdu;
  errors: Record<string, number>;
  commands: Record<string, unknown>;
  filters: { message: { decode: (value: unknown, skipUdh?: unknown) => unknown } };
}

const lib = createRequire(import.meta.url)('smpp') as SmppModule;

// The library decodes short_message / message_payload into {udh, message: string} by guessing from
// data_coding (GSM-7 for 0 and 1, Latin-1 for 3), which loses the raw octets and UDH. Qun decodes
// itself (domain/sms), so received bodies stay Buffers. Sent bodies are Buffers already, which the
// library passes through untouched. Process-wide, but only SMPP code in this folder uses the library.
lib.filters.message.decode = (value) => value;

export const smpp = {
  connect: lib.connect,
  createServer: lib.createServer,
  errors: lib.errors,
};

export function makePdu(command: string, fields: PduFields = {}): Pdu {
  return new lib.PDU(command, fields);
}

/** Whether the library knows a response PDU for this request (alert_notification, outbind have none). */
export function hasResponse(command: string): boolean {
  return `${command}_resp` in lib.commands;
}

export function num(p: Pdu, field: string): number {
  const v = p[field];
  return typeof v === 'number' ? v : 0;
}

export function str(p: Pdu, field: string): string {
  const v = p[field];
  return typeof v === 'string' ? v : '';
}

export function bytes(p: Pdu, field: string): Buffer {
  const v = p[field];
  if (Buffer.isBuffer(v)) return v;
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.alloc(0);
}

/** Whether an optional parameter (TLV) was present in a received PDU. */
export function has(p: Pdu, field: string): boolean {
  return p[field] !== undefined && p[field] !== null;
}
