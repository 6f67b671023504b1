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
