export * from "./http/errors";
export * from "./turnstile/verify";
export * from "./mail/types";
export * from "./chat/types";
export * from "./mail/index";
export * from "./chat/index";
