// The test SMSC as a child process: listens on 127.0.0.1:0, prints and reports its port, and obeys its
// controller (smsc.ts) over the IPC channel. Exits when the controller goes away.
import type { ConfigPatch, Reply, Request } from './protocol.ts';
import { sendMo } from './smsc-mo.ts';
import { SmscSim } from './smsc-sim.ts';

const sim = new SmscSim();
if (process.env.SMSC_CONFIG) sim.configure(JSON.parse(process.env.SMSC_CONFIG) as ConfigPatch);

async function run(r: Request): Promise<unknown> {
  switch (r.op) {
    case 'configure':
      sim.configure(r.patch);
      return sim.config;
    case 'received':
      return sim.records.received;
    case 'submits':
      return sim.records.submits;
    case 'binds':
      return sim.records.binds;
    case 'sendMo':
      return sendMo(sim, r.mo);
    case 'drop':
      sim.drop();
      return null;
    case 'restart':
      sim.restart();
      return null;
    case 'reset':
      sim.records.reset();
      return null;
    case 'stats':
      return { ...sim.stats(), incomplete: sim.records.incomplete };
  }
}

process.on('message', (m: Request) => {
  run(m).then(
    (result) => process.send?.({ id: m.id, ok: true, result } satisfies Reply),
    (e: unknown) => process.send?.({ id: m.id, ok: false, error: String(e) } satisfies Reply),
  );
});
process.on('disconnect', () => process.exit(0));

sim.server.listen(0, '127.0.0.1', () => {
  const address = sim.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`SMSC listening on 127.0.0.1:${port}\n`);
  process.send?.({ ready: true, port });
});
