// Receipts as a real Kannel produces them: bearerbox bound over SMPP to the project's SMSC simulator,
// whose receipts say DELIVRD, EXPIRED, UNDELIV, ACCEPTD or REJECTD (and which refuses one number
// outright). Kannel turns them into its DLR types on the dlr-url; Qun settles each text accordingly,
// with Kannel's type in the stored words, and leaves a buffered (ACCEPTD) text submitted.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { kannelInstalled } from '../../helpers/kannel/kannel.ts';
import { type KannelOverSmpp, startKannelOverSmpp } from '../../helpers/kannel/kannel-smpp.ts';
import { freePorts } from '../../helpers/kannel/ports.ts';
import { eventually, startTestServer, type TestServer } from '../../helpers/server.ts';
import { Smsc } from '../../helpers/smsc/smsc.ts';

const STATS: Record<string, string> = {
  '+8613600136001': 'DELIVRD',
  '+8613600136002': 'EXPIRED',
  '+8613600136003': 'UNDELIV',
  '+8613600136004': 'ACCEPTD',
  '+8613600136005': 'REJECTD',
};
const REFUSED = '+8613600136006';
const ESME_RINVDSTADR = 0x0b;

if (kannelInstalled('Kannel DLR types from an SMPP SMSC')) {
  describe('Kannel DLR types from an SMPP SMSC', () => {
    let smsc: Smsc;
    let kannel: KannelOverSmpp;
    let s: TestServer;
    let db: Database.Database;

    before(async () => {
      const both = (p: string) => [p, p.slice(1)];
      const perDest = Object.fromEntries(
        Object.entries(STATS).flatMap(([p, st]) => both(p).map((k) => [k, st])),
      );
      smsc = await Smsc.start({
        systemId: 'qun',
        password: 'secret',
        ids: { format: 'decimal', width: 0, offset: 5000 },
        receipts: { mode: 'after', perDest },
        faults: { perDest: Object.fromEntries(both(REFUSED).map((k) => [k, ESME_RINVDSTADR])) },
      });
      const [port] = (await freePorts(1)) as [number];
      const qunUrl = `http://127.0.0.1:${port}`;
      kannel = await startKannelOverSmpp({
        qunUrl,
        smscPort: smsc.port,
        systemId: 'qun',
        password: 'secret',
      });
      const env = {
        QUN_SMS_GATEWAY: 'kannel',
        PORT: String(port),
        QUN_PUBLIC_URL: qunUrl,
        QUN_KANNEL_DLR_MASK: '31',
        ...kannel.env,
      };
      s = await startTestServer(env, { env: { ...process.env, ...env } }, { sqliteFile: true });
      db = new Database(path.join(s.dataDir, 'qun.db'), { readonly: true });
    });
    after(async () => {
      db?.close();
      await s?.close();
      await kannel?.close();
      await smsc?.close();
    });

    const row = (phone: string) =>
      db.prepare('SELECT state, error FROM outbound_sms WHERE to_phone = ? ORDER BY id DESC').get(phone) as
        | { state: string; error: string | null }
        | undefined;
    const receipts = async (outcome: string) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const re = new RegExp(`^qun_sms_receipts_total\\{gateway="kannel",outcome="${outcome}"\\} (\\d+)`, 'm');
      return Number(re.exec(text)?.[1] ?? 0);
    };

    test('each receipt settles its text as Kannel reported it', async () => {
      const secret = kannel.env.QUN_KANNEL_INBOUND_SECRET!;
      for (const [i, phone] of [...Object.keys(STATS), REFUSED].entries()) {
        const q = { secret, from: phone, to: '10658', text: 'HELP', id: `mo-${i}` };
        assert.equal((await fetch(`${s.url}/v1/sms/kannel/inbound?${new URLSearchParams(q)}`)).status, 200);
      }
      const want: Record<string, [string, RegExp | null]> = {
        '+8613600136001': ['delivered', null],
        '+8613600136002': [
          'failed',
          /^not delivered \(the SMSC gave up\) \(Kannel DLR 2 = 0x02\).*stat:EXPIRED/,
        ],
        '+8613600136003': ['failed', /\(Kannel DLR 2 = 0x02\).*stat:UNDELIV err:901/],
        '+8613600136005': ['failed', /\(Kannel DLR 2 = 0x02\).*stat:REJECTD/],
        [REFUSED]: ['failed', /^rejected by the SMSC \(Kannel DLR 16 = 0x10\): NACK\/0x0000000b/],
      };
      for (const [phone, [state, error]] of Object.entries(want)) {
        const got = await eventually(
          () => (row(phone)?.state === state ? row(phone) : undefined),
          20_000,
          `${phone} ${state}: ${JSON.stringify(row(phone))}\n${kannel.logTail('bearerbox.log')}`,
        );
        if (error) assert.match(got.error ?? '', error);
        else assert.equal(got.error, null);
      }
      // ACCEPTD is "buffered" (DLR 4) to Kannel: the text waits for its final receipt.
      await eventually(
        async () => ((await receipts('progress')) >= 6 ? true : undefined),
        10_000,
        'progress',
      );
      assert.equal(row('+8613600136004')?.state, 'submitted');
      assert.equal(await receipts('delivered'), 1);
      assert.equal(await receipts('failed'), 4);
    });
  });
}
