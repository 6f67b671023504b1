export * from "./schema/tenancy";
export * from "./schema/forms";
export * from "./schema/contacts";
export * from "./schema/opportunities";
export * from "./schema/activities";
export * from "./schema/tasks";
export * from "./schema/outbox";
export * from "./schema/webhook-events";
