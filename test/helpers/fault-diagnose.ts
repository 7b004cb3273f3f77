// What a fault run prints when a member got a message twice: the checker's timeline of that member and
// message (each copy, the links, the server's starts and stops) beside what the store recorded for it (the
// member's cursors, their trail rows over the seq, the texts for it) and the servers' warnings — enough to
// tell which path texted what the member also got live. A route's trail row and texts carry the time it was
// decided, not when its batch reached the store (seconds later on a loaded database).
import { loadConfig } from '../../src/config/config.ts';
import { storeOptions } from '../../src/server-parts.ts';
import { openStore } from '../../src/store/open-store.ts';
import { type DeliveryChecker, type Report, tagOf } from './checker.ts';
import { BASE_ENV, storeEnv } from './server.ts';

/** Lines of the servers' logs worth reading beside a duplicate: warnings, errors, recovery and stops. */
function notableLogLines(logs: string[]): string[] {
  const out: string[] = [];
  logs.forEach((log, run) => {
    for (const line of log.split('\n')) {
      if (!line.trim()) continue;
      try {
        const o = JSON.parse(line) as { level?: number; msg?: string };
        if ((o.level ?? 0) >= 40 || /undelivered ranges|stop|signal|drain/i.test(o.msg ?? ''))
          out.push(`  server #${run + 1}: ${line.slice(0, 400)}`);
      } catch {
        out.push(`  server #${run + 1} (not JSON): ${line.slice(0, 400)}`);
      }
    }
  });
  return out.slice(-40);
}

const rel = (at: number | undefined, t0: number) => (at === undefined ? '?' : `+${at - t0} ms`);

/**
 * A text per duplicated (member, message): the checker's view, then the store's. `events` are the run's own
 * moments (faults, restarts) by name. Opens the run's store itself (the servers may be stopped by then).
 */
export async function diagnoseDuplicates(o: {
  report: Report;
  checker: DeliveryChecker;
  dir: string;
  t0: number;
  events: { at: number; what: string }[];
  logs: string[];
  max?: number;
}): Promise<string> {
  const dups = o.report.members.flatMap((m) =>
    m.duplicated.map((d) => ({ member: m.member, tag: tagOf(d) ?? d, what: d })),
  );
  if (dups.length === 0) return '';
  const lines: string[] = [
    `duplicate diagnostics (times from the senders' start, ${new Date(o.t0).toISOString()}):`,
  ];
  lines.push(`  run events: ${o.events.map((e) => `${e.what} ${rel(e.at, o.t0)}`).join(', ')}`);
  const config = loadConfig({ ...BASE_ENV, QUN_DATA_DIR: o.dir, ...(await storeEnv(o.dir)) });
  const store = await openStore(storeOptions(config));
  try {
    for (const d of dups.slice(0, o.max ?? 3)) {
      const t = o.checker.trace(d.member, d.tag);
      lines.push(`- ${d.member} ${d.what}: group ${t.accepted?.groupId} seq ${t.accepted?.seq}`);
      for (const r of t.received)
        lines.push(
          `    got ${r.channel} at ${rel(r.at, o.t0)}${r.via ? ` via ${r.via}` : ''} (seq ${r.seq ?? '?'})`,
        );
      lines.push(`    links: ${t.links.map((l) => `${l.event} ${rel(l.at, o.t0)}`).join(', ')}`);
      const user = await store.users.byPhone(d.member);
      const g = t.accepted?.groupId;
      const seq = t.accepted?.seq;
      if (!user || g === undefined || seq === undefined) continue;
      const m = await store.groups.member(g, user.id);
      lines.push(
        `    user ${user.id}: acked ${m?.ackedSeq} routed ${m?.routedSeq} fetched ${m?.fetchedSeq} read ${m?.readSeq}`,
      );
      for (const x of (await store.delivery.trailFor(g, seq)).filter((x) => x.userId === user.id))
        lines.push(
          `    trail (${x.seqFrom}, ${x.seqTo}] ${x.rung}/${x.outcome} decided ${rel(x.at, o.t0)}: ${x.reason}`,
        );
      for (const x of (await store.outbound.forMessage(g, seq)).filter((x) => x.userId === user.id))
        lines.push(
          `    text #${x.id} ${x.state} created (decided) ${rel(x.createdAt, o.t0)} updated ${rel(x.updatedAt, o.t0)}` +
            ` attempts ${x.attempts}${x.error ? ` error ${x.error}` : ''}`,
        );
    }
  } finally {
    await store.close();
  }
  lines.push('  server log (warnings, errors, recovery, stops):', ...notableLogLines(o.logs));
  return lines.join('\n');
}
