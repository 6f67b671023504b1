import { createDatabase, type Database } from "@plumbline/db";
import { env } from "cloudflare:workers";

/** One statement as D1 received it: the SQL text, and the values bound to its placeholders. */
export type RecordedStatement = { sql: string; params: unknown[] };

/**
 * Wraps the D1 binding so that every statement's SQL and bound values are recorded before D1 runs them. drizzle-orm 0.45
 * always prepares the SQL text and binds values separately, so the record shows where each value went.
 */
export function recordingD1(): { d1: D1Database; statements: RecordedStatement[] } {
  const statements: RecordedStatement[] = [];
  const real = env.DB;
  const recording = {
    prepare(sql: string) {
      const entry: RecordedStatement = { sql, params: [] };
      statements.push(entry);
      const statement = real.prepare(sql);
      return new Proxy(statement, {
        get(target, property) {
          if (property === "bind") {
            return (...values: unknown[]) => {
              entry.params.push(...values);
              return target.bind(...values);
            };
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
    batch: (batch: D1PreparedStatement[]) => real.batch(batch),
    exec: (sql: string) => real.exec(sql),
  } as unknown as D1Database;
  return { d1: recording, statements };
}

export function recordingDatabase(): { db: Database; statements: RecordedStatement[] } {
  const { d1, statements } = recordingD1();
  return { db: createDatabase(d1), statements };
}
