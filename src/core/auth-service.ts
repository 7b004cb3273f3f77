// Sign-in by phone number and a one-time code sent by SMS; sessions are random bearer tokens stored
// only as hashes, so a database leak does not leak sessions.
import crypto from 'node:crypto';
import { reply } from '../domain/commands/replies.ts';
import { textLanguage } from '../domain/language.ts';
import { normalisePhone } from '../domain/phone.ts';
import { QunError } from '../errors/catalogue.ts';
import type { Store, User } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import { type Clock, sha256 } from './clock.ts';
import type { SmsPumpingGuard } from './sms-pumping-guard.ts';

const HOUR_MS = 3_600_000;

export interface AuthConfig {
  defaultRegion: string;
  signinCodeTtl: number;
  signinCodesPerHour: number;
  sessionTtl: number;
  serviceNumber: string;
}

export class AuthService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #cfg: AuthConfig;
  readonly #metrics: Metrics;
  readonly #onSmsQueued: () => void;
  readonly #guard: SmsPumpingGuard;

  constructor(
    store: Store,
    clock: Clock,
    cfg: AuthConfig,
    metrics: Metrics,
    guard: SmsPumpingGuard,
    onSmsQueued: () => void,
  ) {
    this.#guard = guard;
    this.#store = store;
    this.#clock = clock;
    this.#cfg = cfg;
    this.#metrics = metrics;
    this.#onSmsQueued = onSmsQueued;
  }

  phone(raw: string): string {
    const p = normalisePhone(raw, this.#cfg.defaultRegion);
    if (!p) throw new QunError('invalid_phone');
    return p;
  }

  /** Texts a 6-digit code; at most QUN_SIGNIN_CODES_PER_HOUR per number (SMS pumping costs money). */
  async requestCode(rawPhone: string, clientAddress?: string): Promise<{ expiresIn: number }> {
    const phone = this.phone(rawPhone);
    const now = this.#clock.now();
    // Premium-rate and other high-cost numbers are what SMS pumping sends codes to: refused by type.
    if (this.#guard.reachable(phone) !== 'ok') throw new QunError('number_not_allowed');
    if ((await this.#guard.allowCode(clientAddress)) !== 'ok') {
      throw new QunError('rate_limited', 'Too many sign-in codes requested; try again later.');
    }
    if ((await this.#store.users.countSigninCodes(phone, now - HOUR_MS)) >= this.#cfg.signinCodesPerHour) {
      this.#metrics.rateLimited.inc({ kind: 'signin_code' });
      throw new QunError('rate_limited', 'Too many codes for this number; try again in an hour.');
    }
    const code = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
    await this.#store.users.addSigninCode(
      phone,
      sha256(`${phone}:${code}`),
      now,
      now + this.#cfg.signinCodeTtl,
    );
    const lang = textLanguage({ phone });
    await this.#store.outbound.enqueue(
      [
        {
          kind: 'code',
          toPhone: phone,
          fromAddr: this.#cfg.serviceNumber,
          text: reply(lang, {
            kind: 'signin_code',
            code,
            minutes: Math.round(this.#cfg.signinCodeTtl / 60_000),
          }),
          groupId: null,
          seq: null,
          userId: null,
        },
      ],
      now,
    );
    this.#onSmsQueued();
    return { expiresIn: Math.round(this.#cfg.signinCodeTtl / 1000) };
  }

  async signIn(rawPhone: string, code: string): Promise<{ token: string; user: User }> {
    const phone = this.phone(rawPhone);
    const now = this.#clock.now();
    if (
      !/^\d{6}$/.test(code) ||
      !(await this.#store.users.consumeSigninCode(phone, sha256(`${phone}:${code}`), now))
    ) {
      throw new QunError('invalid_code');
    }
    const user = await this.#store.users.upsertByPhone(phone, now);
    const token = crypto.randomBytes(32).toString('base64url');
    await this.#store.users.createSession(sha256(token), user.id, now, now + this.#cfg.sessionTtl);
    return { token, user };
  }

  async authenticate(token: string | undefined): Promise<{ user: User; sessionHash: string } | undefined> {
    if (!token || token.length > 200) return undefined;
    const sessionHash = sha256(token);
    const user = await this.#store.users.sessionUser(sessionHash, this.#clock.now());
    return user && { user, sessionHash };
  }

  async signOut(sessionHash: string): Promise<number | undefined> {
    return this.#store.users.revokeSession(sessionHash, this.#clock.now());
  }
}
