// Delivery receipts reach hooks.receipt with a ref that matches the submit's ref, however the SMSC
// writes the id (case, leading zeros), whenever it sends it (even before the submit_sm_resp), and
// however often; receipts for any part of a long text map to the text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { analyze } from '../../../src/domain/sms/segments.ts';
import { outbound } from '../../contract/sms-gateway.contract.ts';
import { type Rig, startRig, until } from './harness.ts';

const norm = (s: string) => s.toLowerCase().replace(/^0+/, '');

describe('SMPP delivery receipts', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ smsc: { ids: { format: 'HEX', width: 8, offset: 0xabc0 } } });
  });
  after(async () => {
    await rig?.close();
  });

  async function submit(to: string, text: string): Promise<string> {
    const r = await rig.gateway.submit(outbound(to, '106580123456', text), analyze(text));
    assert.equal(r.outcome, 'submitted', JSON.stringify(r));
    assert.ok(r.outcome === 'submitted' && r.ref);
    return r.ref;
  }
  const receiptsFor = (ref: string) => rig.hooks.receipts.filter((x) => norm(x.ref) === norm(ref));
  const settle = () => new Promise((r) => setTimeout(r, 300));

  test('a receipt sent before its submit_sm_resp, in the other case, with extra zeros, three times', async () => {
    // The answer is held back a little, so the receipt is handled before the gateway knows the id.
    await rig.smsc.configure({
      respondDelayMs: 150,
      receipts: { mode: 'before', idCase: 'lower', idZeros: 3, duplicates: 2 },
    });
    const refs = [];
    for (let i = 0; i < 5; i++) refs.push(await submit(`+861380000010${i}`, `receipt ${i}`));
    for (const ref of refs) await until(() => (receiptsFor(ref).length === 3 ? true : undefined));
    await settle();
    for (const ref of refs) {
      const got = receiptsFor(ref);
      assert.equal(got.length, 3, 'every copy reaches the hook (the core records it once)');
      assert.ok(got.every((r) => r.delivered && r.detail === 'DELIVRD'));
      assert.notEqual(got[0]!.ref, ref, 'passed on as the SMSC wrote it: the core matches it');
    }
    await rig.smsc.configure({ respondDelayMs: 0 });
  });

  test('TLVs (receipted_message_id, message_state) and failures with their error code', async () => {
    await rig.smsc.configure({
      receipts: {
        mode: 'after',
        idCase: 'same',
        idZeros: 0,
        duplicates: 0,
        tlvs: true,
        stat: 'UNDELIV',
        err: '011',
      },
    });
    const ref = await submit('+8613800000200', 'will not arrive');
    const [r] = await until(() => (receiptsFor(ref).length ? receiptsFor(ref) : undefined));
    assert.equal(r!.delivered, false);
    assert.equal(r!.detail, 'UNDELIV err:011');
  });

  test('a long text has one ref; receipts for its other parts map to it (failures only)', async () => {
    await rig.smsc.configure({ receipts: { allParts: true, tlvs: false, stat: 'DELIVRD', err: '000' } });
    const before = rig.hooks.receipts.length;
    const ref = await submit('+8613800000300', 'z'.repeat(400));
    await until(() => (receiptsFor(ref).length ? true : undefined));
    await settle();
    assert.equal(rig.hooks.receipts.length - before, 1, 'one "delivered" per text, from its last part');
    await rig.smsc.configure({ receipts: { stat: 'EXPIRED' } });
    const from = rig.hooks.receipts.length;
    const ref2 = await submit('+8613800000301', 'z'.repeat(400));
    await until(() => (receiptsFor(ref2).length ? true : undefined));
    await settle();
    const got = rig.hooks.receipts.slice(from);
    // Parts 1 and 2 failed before the text had a ref: reported once it had one, as was part 3's.
    assert.ok(got.length >= 2, JSON.stringify(got));
    assert.ok(got.every((r) => norm(r.ref) === norm(ref2) && !r.delivered && r.detail === 'EXPIRED'));
  });

  test('an intermediate ENROUTE notice is not a receipt', async () => {
    await rig.smsc.configure({ receipts: { allParts: false, stat: 'ENROUTE' } });
    const before = rig.hooks.receipts.length;
    await submit('+8613800000400', 'on its way');
    await settle();
    assert.equal(rig.hooks.receipts.length, before);
  });
});
