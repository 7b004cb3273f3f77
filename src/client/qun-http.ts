// The client's typed /v1 HTTP helpers (one method per route), for Node 24 and browsers. Served with the
// live client under /assets/.
import { randomId } from './group-streams.ts';

export type User = { id: number; phone: string; name: string | null };
export type Me = User & { smsOptedOut: boolean };
export type Group = {
  id: number;
  appNumber: string;
  groupNumber: string;
  address: string;
  name: string;
  role: string;
};
export type GroupState = Group & {
  lastSeq: number;
  ackedSeq: number;
  fetchedSeq: number;
  readSeq: number;
} & {
  invitePolicy: string;
  memberCap: number;
  escalateToSms: boolean;
};
export type SmsCost = { segments: number; textedNow: number; heldForLater: number; segmentsNow: number };
export type GroupPatch = {
  name?: string;
  invitePolicy?: 'confirm' | 'direct';
  escalateToSms?: boolean;
  memberCap?: number;
};
export type Invitation = { groupId: number; name: string; address: string; invitedBy: string | null };
export type Member = { userId: number; phone: string; name: string | null; role: string };
export type ApiMessage =
  | { id: string; groupId: number; seq: number; from: { id: number; name: string }; body: string; at: number }
  | { groupId: number; seq: number; hidden: true };
type Phones = string[];
export type InviteResult = { invited: Phones; added: Phones; already: Phones; invalid: Phones } & {
  refusedCap: Phones;
  optedOut: Phones;
  rateLimited: Phones;
};
export type Posted = { id: string; groupId: number; seq: number; createdAt: number; duplicate: boolean };
export type TrailStep = { rung: string; outcome: string; reason: string | null; at: number | null };
export type Trail = {
  message: { id: string; groupId: number; seq: number };
  members: (Omit<Member, 'role'> & { steps: TrailStep[] })[];
};
export type InboxGroup = {
  id: number;
  name: string;
  address: string;
  unread: number;
  messages: ApiMessage[];
};
export type SimText = { from: string; to: string; text: string; at: number };
export type SimInfo = { serviceNumber: string; appNumbers: { appNumber: string; kind: string }[] };
export type PushSubscriptionJson = { endpoint: string; keys: { p256dh: string; auth: string } };

export class QunApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'QunApiError';
    this.status = status;
    this.code = code;
  }
}

/** The HTTP API. Non-2xx answers throw QunApiError; status 0 means the request never got an answer. */
export class QunHttp {
  readonly baseUrl: string;
  token: string | undefined;

  constructor(opts: { baseUrl: string; token?: string }) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    // No content-type without a body: the server refuses an empty JSON body.
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      const init: RequestInit = { method, headers, credentials: 'same-origin' };
      if (body !== undefined) init.body = JSON.stringify(body);
      res = await fetch(this.baseUrl + path, init);
    } catch (e) {
      throw new QunApiError(0, 'network', e instanceof Error ? e.message : String(e));
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new QunApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? res.statusText);
    }
    return json as T;
  }

  // One line per route; the paths and shapes are docs/api.md's.
  requestCode = (phone: string) =>
    this.request<{ sent: boolean; expiresIn: number }>('POST', '/v1/auth/code', { phone });
  me = () => this.request<Me>('GET', '/v1/me');
  updateMe = (patch: { name: string }) => this.request<Me>('PATCH', '/v1/me', patch);
  groups = () => this.request<{ groups: GroupState[]; invitations: Invitation[] }>('GET', '/v1/groups');
  createGroup = (name: string, appNumber?: string) =>
    this.request<GroupState>('POST', '/v1/groups', appNumber ? { name, appNumber } : { name });
  members = (g: number) => this.request<{ members: Member[] }>('GET', `/v1/groups/${g}/members`);
  invite = (g: number, phones: string[]) =>
    this.request<InviteResult>('POST', `/v1/groups/${g}/invitations`, { phones });
  join = (g: number) => this.request<unknown>('POST', `/v1/groups/${g}/join`);
  decline = (g: number) => this.request<unknown>('POST', `/v1/groups/${g}/decline`);
  leave = (g: number) => this.request<unknown>('POST', `/v1/groups/${g}/leave`);
  group = (g: number) => this.request<GroupState>('GET', `/v1/groups/${g}`);
  updateGroup = (g: number, patch: GroupPatch) => this.request<GroupState>('PATCH', `/v1/groups/${g}`, patch);
  removeMember = (g: number, userId: number) =>
    this.request<unknown>('DELETE', `/v1/groups/${g}/members/${userId}`);
  makeAdmin = (g: number, userId: number) =>
    this.request<unknown>('PUT', `/v1/groups/${g}/members/${userId}/role`, { role: 'admin' });
  markRead = (groupId: number, seq: number) =>
    this.request<unknown>('POST', '/v1/inbox/read', { groupId, seq });
  signOutEverywhere = () => this.request<{ revoked: number }>('POST', '/v1/auth/signout-all');
  /** `urgent` (owners and admins): overrides quiet hours, digests and "SMS only for urgent". */
  postMessage = (g: number, body: string, clientMsgId: string = randomId(), urgent = false) =>
    this.request<Posted>(
      'POST',
      `/v1/groups/${g}/messages`,
      urgent ? { body, clientMsgId, urgent } : { body, clientMsgId },
    );
  /** What sending `body` now would cost in texts: members texted now, those held for later, segments. */
  smsCost = (g: number, body: string, urgent = false) =>
    this.request<SmsCost>(
      'GET',
      `/v1/groups/${g}/sms-cost?body=${encodeURIComponent(body)}${urgent ? '&urgent=true' : ''}`,
    );
  messages = (g: number, q: { after?: number; limit?: number } = {}) =>
    this.request<{ messages: ApiMessage[]; lastSeq: number; hasMore: boolean }>(
      'GET',
      `/v1/groups/${g}/messages?after=${q.after ?? 0}${q.limit ? `&limit=${q.limit}` : ''}`,
    );
  trail = (messageId: string) =>
    this.request<Trail>('GET', `/v1/messages/${encodeURIComponent(messageId)}/trail`);
  inbox = () => this.request<{ groups: InboxGroup[] }>('GET', '/v1/inbox');
  pushKey = () => this.request<{ publicKey: string }>('GET', '/v1/push/key');
  subscribePush = (sub: PushSubscriptionJson) => this.request<unknown>('POST', '/v1/push/subscriptions', sub);
  simSend = (from: string, to: string, text: string) =>
    this.request<unknown>('POST', '/v1/sim/sms', { from, to, text });
  simTexts = (phone: string) =>
    this.request<{ messages: SimText[] }>('GET', `/v1/sim/sms?phone=${encodeURIComponent(phone)}`);
  simPhones = () =>
    this.request<{ phones: { phone: string; texts: number; lastAt: number }[] }>('GET', '/v1/sim/phones');
  simInfo = () => this.request<SimInfo>('GET', '/v1/sim/info');

  async signIn(phone: string, code: string): Promise<{ token: string; user: User }> {
    const r = await this.request<{ token: string; user: User }>('POST', '/v1/auth/token', { phone, code });
    this.token = r.token;
    return r;
  }
  async signOut(): Promise<void> {
    await this.request<void>('POST', '/v1/auth/signout');
    this.token = undefined;
  }
}
