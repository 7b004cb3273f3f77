// The contract every SMS gateway passes (sim, smpp, kannel, twilio), against its real peer: texts reach
// the peer exactly as written from the right address, long texts arrive whole, MO texts come up through
// the hooks, and receipts (where the peer gives them) match the submitted text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GatewayHooks, InboundText, Receipt, SmsGateway } from '../../src/channels/sms/gateway.ts';
import { analyze } from '../../src/domain/sms/segments.ts';
import type { OutboundSms } from '../../src/store/store.ts';

export class RecordingHooks implements GatewayHooks {
  readonly inbounds: InboundText[] = [];
  readonly receipts: Receipt[] = [];
  readonly optOuts: string[] = [];
  async inbound(t: InboundText): Promise<void> {
    this.inbounds.push(t);
  }
  async receipt(r: Receipt): Promise<void> {
    this.receipts.push(r);
  }
  async optedOut(phone: string): Promise<void> {
    this.optOuts.push(phone);
  }
}

export interface GatewayHarness {
  gateway: SmsGateway;
  hooks: RecordingHooks;
  /** Texts the peer received so far, each logical text once (reassembled), oldest first. */
  received(): Promise<{ from: string; to: string; text: string }[]>;
  /** Makes the peer send a mobile-originated text to Qun. */
  sendMo(from: string, to: string, text: string): Promise<void>;
  close(): Promise<void>;
}

let nextId = 1;
export function outbound(to: string, from: string, text: string): OutboundSms {
  const now = Date.now();
  return {
    id: nextId++,
    kind: 'reply',
    toPhone: to,
    fromAddr: from,
    text,
    groupId: null,
    seq: null,
    userId: null,
    state: 'submitting',
    encoding: null,
    segments: null,
    gatewayRef: null,
    gatewaySession: null,
    attempts: 1,
    error: null,
    createdAt: now,
    updatedAt: now,
  };
}

async function waitFor<T>(f: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function gatewayContract(
  name: string,
  /** receipts: the peer sends them; fixedFrom: every text leaves from this one sender (single-number providers). */
  peer: { receipts: boolean; fixedFrom?: string },
  makeHarness: () => Promise<GatewayHarness>,
): void {
  describe(`SMS gateway contract: ${name}`, () => {
    let h: GatewayHarness;
    before(async () => {
      h = await makeHarness();
    });
    after(async () => {
      await h?.close();
    });

    const roundTrip = async (to: string, from: string, text: string) => {
      const before = (await h.received()).length;
      const o = outbound(to, from, text);
      const r = await h.gateway.submit(o, analyze(text, { smartSubstitution: true }));
      assert.equal(r.outcome, 'submitted', JSON.stringify(r));
      const got = await waitFor(async () => {
        const all = await h.received();
        return all.length > before ? all.slice(before) : undefined;
      });
      await new Promise((res) => setTimeout(res, 300));
      const all = (await h.received()).slice(before);
      assert.equal(all.length, 1, 'the peer got the text exactly once');
      return { r, got: got[0]! };
    };

    test('a GSM-7 text arrives as written, from the group address', async () => {
      const { got } = await roundTrip('+8613800138000', '106580123456', 'Meet at 8 at the north gate {ok}');
      assert.equal(got.text, 'Meet at 8 at the north gate {ok}');
      if (peer.fixedFrom) assert.equal(got.from, peer.fixedFrom);
      else assert.match(got.from, /106580123456$/);
      assert.match(got.to, /13800138000$/);
    });

    test('a long GSM-7 text arrives whole (concatenated)', async () => {
      const text = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
      assert.ok(text.length > 160);
      const { got } = await roundTrip('+8613800138001', '106580123456', text);
      assert.equal(got.text, text);
    });

    test('a long Chinese text arrives whole (UCS-2, concatenated)', async () => {
      const text = '明天早上八点在北门集合，请带好水和午餐。'.repeat(5);
      assert.ok(text.length > 70);
      const { got } = await roundTrip('+8613800138002', '106580123456', text);
      assert.equal(got.text, text);
    });

    test('a mobile-originated text comes up through the hooks', async () => {
      await h.sendMo('+8613800138003', '106580123456', '大家好 hello');
      const t = await waitFor(() => h.hooks.inbounds.find((x) => x.text === '大家好 hello'));
      assert.match(t.from, /13800138003$/);
      assert.match(t.to, /106580123456$/);
    });

    // Only peers that send receipts are asked for them (the simulator delivers in the same transaction).
    if (peer.receipts)
      test('receipts name the submitted text', async () => {
        const { r } = await roundTrip('+8613800138004', '106580123456', 'receipt please');
        assert.equal(r.outcome, 'submitted');
        const ref = r.outcome === 'submitted' ? r.ref : null;
        assert.ok(ref, 'the gateway reports the peer id');
        const norm = (s: string) => s.toLowerCase().replace(/^0+/, '');
        await waitFor(() => h.hooks.receipts.find((x) => norm(x.ref) === norm(ref!)));
      });
  });
}
