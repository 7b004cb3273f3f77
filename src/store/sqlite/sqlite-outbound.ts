// The durable outbound SMS queue on SQLite, with inbound de-duplication.
import type { Database } from 'better-sqlite3';
import { type OutboundRow, toOutbound } from '../rows.ts';
import { blockedByOptOut, CANCEL_REASON, recheckVerdict, type TextFacts } from '../rules/cancel-rules.ts';
import {
  carriedReason,
  DIGEST_PARTS,
  type DigestPartRow,
  LEFT_TO_INBOX,
  planDigest,
} from '../rules/digest-rules.ts';
import { DEFAULT_LEASE, type Lease, leaseWantsExtending } from '../rules/lease-rules.ts';
import type { DigestComposer, NewOutbound, OutboundStore, ReceiptSettlement } from '../store.ts';

export function insertOutbound(db: Database): (o: NewOutbound, now: number) => number {
  const stmt = db.prepare(
    `INSERT OR IGNORE INTO outbound_sms (kind, to_phone, from_addr, text, group_id, seq, user_id, ignore_opt_out, state, created_at, updated_at, not_before, digest)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
  );
  // The group a number last heard from: where its plain replies go in single-number mode.
  const lastGroup = db.prepare('UPDATE users SET last_group_id = ? WHERE phone = ?');
  return (o, now) => {
    if (o.groupId !== null) lastGroup.run(o.groupId, o.toPhone);
    // OR IGNORE: a group message already texted to this member (and not cancelled) is not texted again,
    // whichever path (fan-out, ack timeout, recovery, escalation) decided it twice.
    const r = stmt.run(
      o.kind,
      o.toPhone,
      o.fromAddr,
      o.text,
      o.groupId,
      o.seq,
      o.userId,
      o.ignoreOptOut ? 1 : 0,
      now,
      now,
      o.notBefore ?? 0,
      o.digest ? 1 : 0,
    );
    // An ignored insert leaves lastInsertRowid at the previous insert's id: 0 says "not queued".
    return r.changes === 1 ? Number(r.lastInsertRowid) : 0;
  };
}

/**
 * The texts a claim takes, in id order. One number's texts leave in queue order, by the PostgreSQL
 * engine's rule (pg-outbound.ts, pickHeads; here the file has one writer at a time, so due texts are taken
 * in id order in one read). Its reads go through partial indexes on the queued and in-flight texts
 * (migration 14), so a claim costs what is queued, not what was ever sent (test/unit/store/claim-plan).
 */
export const CLAIM_DUE_TEXTS = `SELECT o.*, u.sms_opted_out AS opted_out FROM outbound_sms o LEFT JOIN users u ON u.phone = o.to_phone
     WHERE o.state = 'queued' AND o.not_before <= @now
       AND NOT EXISTS (SELECT 1 FROM outbound_sms s WHERE s.to_phone = o.to_phone AND s.state = 'submitting'
         AND (s.id < o.id OR s.claimed_by IS NOT @holder))
       AND NOT EXISTS (SELECT 1 FROM outbound_sms e WHERE e.to_phone = o.to_phone AND e.state = 'queued'
         AND e.id < o.id AND e.attempts > 0 AND e.not_before > @now)
     ORDER BY o.id LIMIT @limit`;

/**
 * What the recheck before a text's submit needs. Only a text still leased to this node: one another node
 * took over is not this node's to send. Read once per text: subqueries, not joins (joins with bound
 * parameters cost SQLite 10–14 µs more per run; bench/diag/join-cost.ts). Phone numbers are unique and a
 * membership's key is (group, user), so each subquery finds at most one row, and NULL where a LEFT JOIN
 * would.
 */
export const TEXT_FACTS = `SELECT o.kind, o.ignore_opt_out AS ignoreOptOut,
    (SELECT sms_opted_out FROM users WHERE phone = o.to_phone) AS optedOut,
    (SELECT state FROM memberships WHERE group_id = o.group_id AND user_id = o.user_id) AS memberState,
    o.lease_until AS leaseUntil
  FROM outbound_sms o WHERE o.id = ? AND o.state = 'submitting' AND o.claimed_by = ?`;

export function sqliteOutbound(db: Database, gateway: string, lease: Lease = DEFAULT_LEASE): OutboundStore {
  const insert = insertOutbound(db);
  const enqueue = db.transaction((items: NewOutbound[], now: number) => items.map((o) => insert(o, now)));
  const pending = db.prepare<
    { now: number; holder: string; limit: number },
    OutboundRow & { opted_out: number | null }
  >(CLAIM_DUE_TEXTS);
  const setState = db.prepare(
    'UPDATE outbound_sms SET state = ?, error = ?, updated_at = ?, attempts = attempts + ? WHERE id = ?',
  );
  const digestParts = db.prepare<{ g: number; u: number }, DigestPartRow>(DIGEST_PARTS.replaceAll('$', '@'));
  const carry = db.prepare(
    "UPDATE outbound_sms SET state = 'digested', carried_by = ?, error = ?, updated_at = ? WHERE id = ? AND state = 'queued'",
  );
  const leave = db.prepare(
    "UPDATE outbound_sms SET state = 'cancelled', error = ?, updated_at = ? WHERE id = ? AND state = 'queued'",
  );
  const becomeDigest = db.prepare('UPDATE outbound_sms SET text = ?, digest = 0 WHERE id = ?');
  // The node a text in flight belongs to, and until when (lease-rules.ts).
  const stamp = db.prepare('UPDATE outbound_sms SET claimed_by = ?, lease_until = ? WHERE id = ?');
  // Opt-out is checked when a text is claimed, not when it was queued: a STOP in between wins.
  const claim = db.transaction((limit: number, now: number, compose?: DigestComposer) => {
    const claimed = [];
    const carried = new Set<number>();
    for (const r of pending.all({ now, holder: lease.holder, limit })) {
      if (carried.has(r.id)) continue;
      if (blockedByOptOut({ optedOut: r.opted_out, ignoreOptOut: r.ignore_opt_out })) {
        setState.run('cancelled', CANCEL_REASON.optedOut, now, 0, r.id);
        continue;
      }
      let text = r.text;
      if (compose && r.digest === 1 && r.group_id !== null && r.user_id !== null) {
        const plan = planDigest(r.id, r.to_phone, digestParts.all({ g: r.group_id, u: r.user_id }), compose);
        if (plan) {
          for (const id of plan.carried) {
            carry.run(r.id, carriedReason(r.id), now, id);
            carried.add(id);
          }
          for (const id of plan.left) {
            leave.run(LEFT_TO_INBOX, now, id);
            carried.add(id);
          }
          becomeDigest.run(plan.text, r.id);
          text = plan.text;
        }
      }
      setState.run('submitting', null, now, 1, r.id);
      stamp.run(lease.holder, now + lease.ms, r.id);
      claimed.push(
        toOutbound({ ...r, text, state: 'submitting', attempts: r.attempts + 1, claimed_by: lease.holder }),
      );
    }
    return claimed;
  });
  const get = db.prepare<[number], OutboundRow>('SELECT * FROM outbound_sms WHERE id = ?');
  const textFacts = db.prepare<[number, string], TextFacts>(TEXT_FACTS);
  // The read and the cancel are one transaction: a text that changed in between is not cancelled on stale facts.
  const recheck = db.transaction((id: number, now: number) => {
    const facts = textFacts.get(id, lease.holder);
    const why = recheckVerdict(facts);
    if (why && facts) setState.run('cancelled', why, now, 0, id);
    else if (!why && leaseWantsExtending(facts!.leaseUntil, now, lease))
      stamp.run(lease.holder, now + lease.ms, id);
    return why;
  });
  // Texts in flight that nobody will finish: an expired lease (a dead node's), or at start-up this node's own.
  const inDoubtFor = db.prepare<{ me: string; now: number; own: number }, OutboundRow>(
    `SELECT * FROM outbound_sms WHERE state = 'submitting'
       AND ((claimed_by IS NOT @me AND (lease_until IS NULL OR lease_until <= @now)) OR (@own = 1 AND claimed_by = @me))
     ORDER BY id`,
  );
  const takeOver = db.transaction((now: number, own: boolean) => {
    const rows = inDoubtFor.all({ me: lease.holder, now, own: own ? 1 : 0 });
    for (const r of rows) stamp.run(lease.holder, now + lease.ms, r.id);
    return rows.map((r) => toOutbound({ ...r, claimed_by: lease.holder }));
  });
  const handBack = db.prepare(
    `UPDATE outbound_sms SET state = 'queued', attempts = attempts - 1, claimed_by = NULL, lease_until = NULL,
       updated_at = ? WHERE id = ? AND state = 'submitting' AND claimed_by = ?`,
  );
  const renew = db.prepare(
    "UPDATE outbound_sms SET lease_until = ? WHERE state = 'submitting' AND claimed_by = ?",
  );
  const submitted = db.prepare(
    `UPDATE outbound_sms SET state = 'submitted', gateway = ?, gateway_ref = ?, gateway_session = ?, encoding = ?,
       segments = ?, updated_at = ?
     WHERE id = ? AND state = 'submitting'`,
  );
  // The expression of the outbound_gateway_ref index: gateways echo refs in another case or without zeros.
  const candidates = db.prepare<[string, string], OutboundRow>(
    `SELECT * FROM outbound_sms WHERE gateway = ? AND ltrim(lower(gateway_ref), '0') = ltrim(lower(?), '0')
       AND gateway_ref IS NOT NULL AND state IN ('submitted','delivered','failed','cancelled')
     ORDER BY id DESC LIMIT 20`,
  );
  // Only a submitted text takes a receipt; a delivered text carries no error text from earlier attempts.
  const settle = db.prepare<[string, string | null, number, number], OutboundRow>(
    `UPDATE outbound_sms SET state = ?, error = ?, updated_at = ? WHERE id = ? AND state = 'submitted' RETURNING *`,
  );
  // Receipts in order in one transaction: a second one for the same text finds it settled.
  const settleAll = db.transaction((items: ReceiptSettlement[], now: number) =>
    items.map(({ id, ok, detail }) => {
      const r = settle.get(ok ? 'delivered' : 'failed', ok ? null : detail, now, id);
      return r && toOutbound(r);
    }),
  );

  return {
    async enqueue(items, now) {
      return enqueue(items, now);
    },
    async claim(limit, now, compose) {
      return claim(limit, now, compose);
    },
    async recheck(id, now) {
      return recheck(id, now);
    },
    async inDoubt() {
      return db
        .prepare<[], OutboundRow>("SELECT * FROM outbound_sms WHERE state = 'submitting' ORDER BY id")
        .all()
        .map(toOutbound);
    },
    async takeOverInDoubt(now, own) {
      return takeOver(now, own);
    },
    async renewLeases(now) {
      return renew.run(now + lease.ms, lease.holder).changes;
    },
    async markSubmittedMany(items, now) {
      db.transaction(() => {
        for (const r of items)
          submitted.run(gateway, r.gatewayRef, r.gatewaySession ?? null, r.encoding, r.segments, now, r.id);
      })();
    },
    async markSubmitted(id, r, now) {
      submitted.run(gateway, r.gatewayRef, r.gatewaySession ?? null, r.encoding, r.segments, now, id);
    },
    async markFailed(id, error, now) {
      setState.run('failed', error, now, 0, id);
    },
    async handBack(id, now) {
      handBack.run(now, id, lease.holder);
    },
    async requeue(id, error, notBefore, now) {
      db.prepare(
        "UPDATE outbound_sms SET state = 'queued', error = ?, not_before = ?, updated_at = ? WHERE id = ?",
      ).run(error, notBefore, now, id);
    },
    async receiptCandidates(gw, ref) {
      return candidates.all(gw, ref).map(toOutbound);
    },
    async settleReceipt(id, ok, detail, now) {
      return settleAll([{ id, ok, detail }], now)[0];
    },
    async settleReceipts(items, now) {
      return settleAll(items, now);
    },
    async get(id) {
      const r = get.get(id);
      return r && toOutbound(r);
    },
    async forMessage(groupId, seq) {
      return db
        .prepare<[number, number], OutboundRow>(
          'SELECT * FROM outbound_sms WHERE group_id = ? AND seq = ? ORDER BY id',
        )
        .all(groupId, seq)
        .map(toOutbound);
    },
    async depth() {
      return (
        db
          .prepare<[], { n: number }>(
            "SELECT count(*) AS n FROM outbound_sms WHERE state IN ('queued','submitting')",
          )
          .get()?.n ?? 0
      );
    },
    async countTexts(kinds, toPhone, since) {
      const list = kinds.map((k) => `'${k.replace(/[^a-z_]/g, '')}'`).join(',');
      const sql = `SELECT count(*) AS n FROM outbound_sms WHERE kind IN (${list}) AND created_at >= ?${toPhone === null ? '' : ' AND to_phone = ?'}`;
      const args = toPhone === null ? [since] : [since, toPhone];
      return db.prepare<unknown[], { n: number }>(sql).get(...args)?.n ?? 0;
    },
    async textedSeqs(groupId, userId, afterSeq) {
      const rows = db
        .prepare<[number, number, number], { seq: number }>(
          `SELECT seq FROM outbound_sms WHERE group_id = ? AND user_id = ? AND seq > ?
           AND kind = 'group_message' AND state IN ('submitting', 'submitted', 'delivered', 'digested')`,
        )
        .all(groupId, userId, afterSeq);
      return new Set(rows.map((r) => r.seq));
    },
    async inboundSeen(gw, ref) {
      return (
        db.prepare('SELECT 1 FROM inbound_seen WHERE gateway = ? AND ref = ?').get(gw, ref) !== undefined
      );
    },
    async firstInbound(gw, ref, now) {
      return (
        db
          .prepare('INSERT INTO inbound_seen (gateway, ref, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
          .run(gw, ref, now).changes === 1
      );
    },
  };
}
