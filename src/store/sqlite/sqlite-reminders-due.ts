// Pending reminders on SQLite: their own table, in due order (migration 15).
//
// Why: a reminder pass marks each member it reminds. With the due time only on memberships, that was a
// write to a random page of the memberships table per member: 1,000 due among 1,000,000 memberships
// wrote ~7.7 MB of WAL in one commit, most of the pass (docs/performance.md, "Reminder pass"). Here a
// pending reminder is a row of reminders_due keyed by (due_at, group_id, user_id): the rows a pass takes
// are neighbours, and sending them deletes them, a few pages whatever the number of memberships.
//
// memberships.reminder_due_at still says when the member's reminder is, or was, due; triggers keep
// reminders_due in step with every write of it. Only a pass that sends a reminder deletes the row
// without writing the membership, so the column may name a reminder already sent: a reminder is pending
// while its row exists, and every read of the column goes through pendingReminderAt(). A write of the
// column (the value read that way) re-files the row, so a reader never revives a sent reminder; a write of
// the same time keeps the row as it is. A reminder claimed for a push is leased on its due row too (a
// neighbour of the others, where leasing the membership wrote 1,000 random pages per 1,000 claimed);
// the escalation claim, which leases the membership, leaves a member alone while its reminder is leased.
// PostgreSQL keeps the column alone: its pass updates rows set-wise and has no WAL page cost to avoid.

/** Tables only the SQLite engine has: derived from other tables, so copy-store leaves them out. */
export const SQLITE_ONLY_TABLES: readonly string[] = ['reminders_due'];

/** The member's pending reminder time, or NULL: `alias` is the memberships row (name or alias). */
export function pendingReminderAt(alias: string): string {
  return `CASE WHEN ${alias}.reminder_due_at IS NOT NULL AND EXISTS (SELECT 1 FROM reminders_due r
      WHERE r.due_at = ${alias}.reminder_due_at AND r.group_id = ${alias}.group_id
        AND r.user_id = ${alias}.user_id) THEN ${alias}.reminder_due_at END`;
}

/** Columns whose meaning is more than their stored value, read by copy-store as the engine reads them. */
export const SQLITE_COLUMN_READS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  memberships: { reminder_due_at: pendingReminderAt('memberships') },
};

/** A reminder sent: its row goes, the membership is not written (see above). */
export const REMINDER_SENT = 'DELETE FROM reminders_due WHERE due_at = ? AND group_id = ? AND user_id = ?';
