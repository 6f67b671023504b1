import { lt, sql } from "drizzle-orm";
import type { Database } from "../client";
import { rateLimitCounters } from "../schema";

/**
 * Adds one to each fixed-window counter and returns the new counts, in one batch. D1 is the only state that every
 * Worker isolate shares, so the counts are exact, unlike an in-memory counter or the approximate Rate Limiting
 * binding, whose periods are only 10 or 60 seconds.
 */
export async function incrementCounters(db: Database, keys: string[], windowStart: Date): Promise<number[]> {
  const statements = keys.map((key) =>
    db
      .insert(rateLimitCounters)
      .values({ key, count: 1, windowStart })
      .onConflictDoUpdate({ target: rateLimitCounters.key, set: { count: sql`${rateLimitCounters.count} + 1` } })
      .returning({ count: rateLimitCounters.count }),
  );
  const [first, ...rest] = statements;
  if (!first) return [];
  const results = await db.batch([first, ...rest]);
  return results.map((rows) => rows[0]?.count ?? 0);
}

export async function deleteCountersBefore(db: Database, before: Date): Promise<void> {
  await db.delete(rateLimitCounters).where(lt(rateLimitCounters.windowStart, before));
}
