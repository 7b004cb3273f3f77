// Mobile-originated texts reach hooks.inbound whole and once: single and concatenated (UDH 8/16-bit or
// sar_* TLVs, in any order, parts repeated), GSM-7 and UCS-2; and a text the core could not take is
// answered ESME_RX_T_APPN so that the SMSC redelivers it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InboundText } from '../../../src/channels/sms/gateway.ts';
import { RecordingHooks } from '../../contract/sms-gateway.contract.ts';
import type { MoRequest } from '../../helpers/smsc/smsc.ts';
import { type Rig, startRig } from './harness.ts';

const PHONE = '+8613800138111';
const GROUP = '106580123456';
const RX_T_APPN = 0x64;

/** Refuses the next `failures` inbound texts, as a core whose database is briefly unavailable would. */
class FlakyHooks extends RecordingHooks {
  failures = 0;
  override async inbound(t: InboundText): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('database unavailable');
    }
    await super.inbound(t);
  }
}

describe('SMPP mobile-originated texts', () => {
  let rig: Rig;
  const hooks = new FlakyHooks();
  before(async () => {
    rig = await startRig({ hooks });
  });
  after(async () => {
    await rig?.close();
  });

  const arrivals = (text: string) => hooks.inbounds.filter((t) => t.text === text);

  async function deliverOnce(mo: Omit<MoRequest, 'from' | 'to'>): Promise<InboundText> {
    const statuses = await rig.smsc.sendMo({ from: PHONE, to: GROUP, ...mo });
    assert.ok(
      statuses.every((s) => s === 0),
      `every part answered ESME_ROK: ${statuses}`,
    );
    // deliver_sm_resp is sent only after the hook resolved, so there is nothing left to wait for.
    const got = arrivals(mo.text);
    assert.equal(got.length, 1, `arrived once: ${mo.text.slice(0, 30)}`);
    assert.equal(got[0]!.from, PHONE, 'international source_addr comes back as E.164');
    assert.equal(got[0]!.to, GROUP);
    assert.ok(got[0]!.ref);
    return got[0]!;
  }

  test('a single GSM-7 text with extension characters', async () => {
    await deliverOnce({ text: 'Costs {5} € [ok] ~ ^ | \\ at 8' });
  });

  test('a single UCS-2 text', async () => {
    await deliverOnce({ text: '明天见 🙂' });
  });

  test('a concatenated GSM-7 text (8-bit UDH)', async () => {
    await deliverOnce({ text: Array.from({ length: 70 }, (_, i) => `part${i}`).join(' ') });
  });

  test('a concatenated UCS-2 text (16-bit UDH), parts arriving last first', async () => {
    await deliverOnce({ text: '大家好，周六早上八点在北门集合。'.repeat(10), udh16: true, reverse: true });
  });

  test('a concatenated text marked with sar_* TLVs', async () => {
    await deliverOnce({ text: '周末徒步，'.repeat(30), concat: 'sar' });
  });

  test('every part delivered twice (lost acknowledgements) still makes one text', async () => {
    await deliverOnce({ text: `twice ${'y'.repeat(300)}`, duplicate: true });
    await deliverOnce({ text: 'single, sent twice', duplicate: true });
  });

  test('a single text the core refuses is answered ESME_RX_T_APPN and taken on redelivery', async () => {
    hooks.failures = 1;
    const text = 'please store me';
    assert.deepEqual(await rig.smsc.sendMo({ from: PHONE, to: GROUP, text }), [RX_T_APPN]);
    assert.equal(arrivals(text).length, 0);
    await deliverOnce({ text });
  });

  test('a long text refused on its last part is taken when the SMSC redelivers', async () => {
    hooks.failures = 1;
    const text = `long and refused ${'z'.repeat(300)}`;
    const first = await rig.smsc.sendMo({ from: PHONE, to: GROUP, text, ref: 77 });
    assert.deepEqual(first, [0, 0, RX_T_APPN], 'parts on their own are acknowledged, the set is not');
    assert.equal(arrivals(text).length, 0);
    await deliverOnce({ text, ref: 77 });
  });

  test('the same reference reused later for a new long text is a new text', async () => {
    await deliverOnce({ text: `first ${'a'.repeat(200)}`, ref: 9 });
    await deliverOnce({ text: `second ${'b'.repeat(200)}`, ref: 9 });
  });
});
