// `qun backup`: a consistent copy of the SQLite store taken while Qun runs (SQLite's online backup,
// page by page, so writers are never blocked for long). PostgreSQL has its own tool: pg_dump.
import fs from 'node:fs';
import Database from 'better-sqlite3';

export async function backupSqlite(
  file: string,
  dest: string,
  progress: (line: string) => void = () => {},
): Promise<{ pages: number }> {
  if (!fs.existsSync(file)) throw new Error(`no SQLite store at ${file} (is QUN_DATA_DIR right?)`);
  if (fs.existsSync(dest)) throw new Error(`${dest} exists: refusing to overwrite a backup`);
  const db = new Database(file, { fileMustExist: true });
  try {
    let pages = 0;
    await db.backup(dest, {
      progress({ totalPages, remainingPages }) {
        pages = totalPages;
        progress(`backup: ${totalPages - remainingPages}/${totalPages} pages`);
        // 1,000 pages (4 MB) per step, then the writers get a turn.
        return 1000;
      },
    });
    return { pages };
  } finally {
    db.close();
  }
}

/** The pg_dump command that backs up a PostgreSQL store (printed by `qun backup` on that engine). */
export function pgDumpCommand(redactedUrl: string, dest: string): string {
  return `pg_dump --format=custom --file=${JSON.stringify(dest)} "${redactedUrl}"`;
}
