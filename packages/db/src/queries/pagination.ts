import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** A position in a list ordered by creation time, newest first, with the id breaking ties. */
export interface Cursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return btoa(`${cursor.createdAt}:${cursor.id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Returns null for a cursor that was not made by encodeCursor. */
export function decodeCursor(value: string): Cursor | null {
  let text: string;
  try {
    text = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match) return null;
  return { createdAt: Number(match[1]), id: match[2]! };
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Newest first; the created-at and id pair makes the order total, so pages never skip or repeat a row. Written as
 * one row-value comparison because SQLite turns that into a range on an index ending in (created_at, id), where
 * the equivalent OR of two comparisons leaves it walking the index from the newest row.
 */
export function afterCursor(createdAt: SQLiteColumn, id: SQLiteColumn, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const decoded = decodeCursor(cursor);
  if (!decoded) return undefined;
  // Instants are stored as epoch milliseconds, so the cursor's number compares directly with the column.
  return sql`(${createdAt}, ${id}) < (${decoded.createdAt}, ${decoded.id})`;
}

/** Cuts the extra row a list query fetched and turns it into the next page's cursor. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): Page<T> {
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return {
    data,
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) : null,
  };
}

