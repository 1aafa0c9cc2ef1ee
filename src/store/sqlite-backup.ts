import SqliteDatabase from 'better-sqlite3';

/**
 * Copies a SQLite database that a running server may be writing (SQLite's online backup API, through
 * better-sqlite3's `backup()`), into a new file. All pages go in one step, so the copy is one read snapshot of the
 * database: a commit made meanwhile by the server (another connection) is either wholly in it or not at all, and
 * cannot make SQLite restart the copy over and over as a paced copy would under steady writes. In WAL mode the
 * reader does not block the server's writers.
 */
export async function copyLiveSqlite(source: string, destination: string): Promise<void> {
  const db = new SqliteDatabase(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(destination, { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
}

/** sqlite3_backup_step's page count meaning "the rest": the largest value better-sqlite3 passes on. */
const ALL_PAGES = 0x7fffffff;
