import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withStatementCache } from './sqlite-statement-cache.ts';

let sqlite: SqliteDatabase.Database;
beforeEach(() => {
  sqlite = new SqliteDatabase(':memory:');
  sqlite.exec('create table t (id integer primary key, v text)');
  sqlite.exec("insert into t (v) values ('a'), ('b'), ('c')");
});
afterEach(() => sqlite.close());

describe('withStatementCache', () => {
  it('reuses the statement for the same SQL text and prepares new text once', () => {
    const db = withStatementCache(sqlite);
    const first = db.prepare('select v from t where id = ?');
    expect(db.prepare('select v from t where id = ?')).toBe(first);
    expect(first.all([2])).toEqual([{ v: 'b' }]);
    expect(db.prepare('select v from t where id = ?').all([3])).toEqual([{ v: 'c' }]);
    expect(db.prepare('select count(*) as n from t')).not.toBe(first);
  });

  it('gives a caller its own statement while the cached one is still being iterated', () => {
    const db = withStatementCache(sqlite);
    const sql = 'select v from t order by id';
    const rows = db.prepare(sql).iterate([]);
    expect(rows.next().value).toEqual({ v: 'a' });
    const other = db.prepare(sql);
    expect(other.all([])).toHaveLength(3);
    expect([...rows]).toEqual([{ v: 'b' }, { v: 'c' }]);
  });

  it('keeps at most the given number of statements, the least recently used leaving first', () => {
    const db = withStatementCache(sqlite, 2);
    const a = db.prepare('select 1');
    const b = db.prepare('select 2');
    expect(db.prepare('select 1')).toBe(a);
    db.prepare('select 3');
    expect(db.prepare('select 1')).toBe(a);
    expect(db.prepare('select 2')).not.toBe(b);
  });
});
