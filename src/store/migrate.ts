// The migration runner shared by every engine: numbered steps, no gaps, no downgrades, each step in
// its own transaction, so a failed step leaves the database at the step before.
export interface Migration {
  version: number;
  name: string;
  up: string;
}

export function checkMigrations(list: Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(
        `migration list has a gap or is out of order at "${m.name}": expected ${i + 1}, got ${m.version}`,
      );
    }
  });
}

export interface MigrationTarget {
  currentVersion(): Promise<number>;
  /** Runs one step and records its version, atomically. */
  apply(m: Migration): Promise<void>;
}

export async function migrate(
  target: MigrationTarget,
  list: Migration[],
): Promise<{ from: number; to: number }> {
  checkMigrations(list);
  const from = await target.currentVersion();
  if (from > list.length) {
    throw new Error(
      `the database is at schema version ${from}, newer than this Qun knows (${list.length}); refusing to run an older release against it`,
    );
  }
  for (const m of list.slice(from)) await target.apply(m);
  return { from, to: list.length };
}
