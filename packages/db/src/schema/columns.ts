import { integer, text } from "drizzle-orm/sqlite-core";

/** Instants are stored as Unix epoch milliseconds (UTC). */
export const instant = (name: string) => integer(name, { mode: "timestamp_ms" });

export const createdAt = () => instant("created_at").notNull();
export const updatedAt = () => instant("updated_at").notNull();

/** The tenant every firm-owned row belongs to. */
export const firmId = () => text("firm_id").notNull();

/** A JSON document column; the type parameter is the shape the application writes. */
export const json = <T>(name: string) => text(name, { mode: "json" }).$type<T>();
