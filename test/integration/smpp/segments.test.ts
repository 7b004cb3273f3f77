// Long texts go out as correctly concatenated submit_sm parts: one reference, total and seq 1..n,
// data_coding and esm_class set explicitly, every part within 140 octets, the receipt asked for once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSmppGateway } from '../../../src/channels/sms/gateways/smpp/index.ts';
import { analyze } from '../../../src/domain/sms/segments.ts';
import { outbound, RecordingHooks } from '../../contract/sms-gateway.contract.ts';
import type { SubmitRecord } from '../../helpers/smsc/smsc.ts';
import { gatewayContext, type Rig, smppEnv, startRig, until } from './harness.ts';

const GROUP = '106580123456';

describe('SMPP long texts', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig?.close();
  });

  /** Submits a text to a fresh number and returns the parts the SMSC recorded for it. */
  async function send(to: string, text: string, gateway = rig.gateway): Promise<SubmitRecord[]> {
    const t = analyze(text, { smartSubstitution: true });
    const before = (await rig.smsc.submits()).length;
    const r = await gateway.submit(outbound(to, GROUP, text), t);
    assert.equal(r.outcome, 'submitted', JSON.stringify(r));
    const dest = to.slice(1);
    return until(async () => {
      const parts = (await rig.smsc.submits()).slice(before).filter((s) => s.dest === dest);
      return parts.length === t.segments ? parts : undefined;
    });
  }

  /**
   * What a part takes on the air interface (TP-UD, at most 140 octets). SMPP carries GSM-7 unpacked,
   * one septet per octet, so its short_message may be longer; the UDH is padded to whole septets.
   */
  function airOctets(p: SubmitRecord): number {
    const udh = p.octets - p.bodyHex.length / 2;
    if (p.dataCoding !== 0) return p.octets;
    const septets = Math.ceil((udh * 8) / 7) + p.bodyHex.length / 2;
    return Math.ceil((septets * 7) / 8);
  }

  function assertConcatenated(parts: SubmitRecord[], dataCoding: number, udhOctets: number): void {
    assert.ok(parts.length > 1);
    const ref = parts[0]!.udh!.ref;
    parts.forEach((p, i) => {
      assert.deepEqual(p.udh, { ref, total: parts.length, seq: i + 1 });
      assert.equal(p.dataCoding, dataCoding);
      assert.equal(p.esmClass, 0x40);
      assert.ok(airOctets(p) <= 140, `part ${i + 1} takes ${airOctets(p)} octets on air`);
      assert.equal(p.octets - p.bodyHex.length / 2, udhOctets);
      assert.equal(p.registeredDelivery, i === parts.length - 1 ? 1 : 0, 'receipt on the last part only');
      assert.equal(p.source, GROUP);
      assert.deepEqual([p.sourceTon, p.sourceNpi, p.destTon, p.destNpi], [0, 1, 1, 1]);
    });
  }

  test('a long GSM-7 text (with extension characters) goes as data_coding 0 parts of one reference', async () => {
    const text = Array.from({ length: 60 }, (_, i) => `w${i} {x}`).join(' ');
    const parts = await send('+8613900000001', text);
    assertConcatenated(parts, 0, 6);
    assert.equal(parts.map((p) => p.text).join(''), text);
  });

  test('a long Chinese text goes as data_coding 8 (UCS-2) parts', async () => {
    const text = '明天早上八点在北门集合，请带好水和午餐。'.repeat(8);
    const parts = await send('+8613900000002', text);
    assertConcatenated(parts, 8, 6);
    assert.equal(parts.map((p) => p.text).join(''), text);
    // A surrogate pair is never split between parts.
    const emoji = '🙂'.repeat(100);
    const eparts = await send('+8613900000003', emoji);
    assert.ok(eparts.every((p) => !/[\ud800-\udbff]$/.test(p.text)));
    assert.equal(eparts.map((p) => p.text).join(''), emoji);
  });

  test('a single text has no UDH, esm_class 0 and asks for its receipt', async () => {
    const [p] = await send('+8613900000004', 'short and sweet');
    assert.equal(p!.udh, null);
    assert.equal(p!.esmClass, 0);
    assert.equal(p!.dataCoding, 0);
    assert.equal(p!.registeredDelivery, 1);
    assert.equal(p!.dest, '8613900000004', 'international number without +');
  });

  test('consecutive long texts to one handset use different references', async () => {
    const text = 'x'.repeat(200);
    const a = await send('+8613900000005', text);
    const b = await send('+8613900000005', `${text}y`);
    assert.notEqual(a[0]!.udh!.ref, b[0]!.udh!.ref);
  });

  test('QUN_SMPP_UDH16 uses the 16-bit reference header (7 octets), still within 140', async () => {
    const hooks = new RecordingHooks();
    const gw = createSmppGateway(gatewayContext(smppEnv(rig.smsc, { QUN_SMPP_UDH16: 'true' }), hooks));
    await gw.start();
    try {
      const text = 'y'.repeat(400);
      const parts = await send('+8613900000006', text, gw as typeof rig.gateway);
      assertConcatenated(parts, 0, 7);
      assert.equal(parts.map((p) => p.text).join(''), text);
    } finally {
      await gw.stop();
    }
  });
});
