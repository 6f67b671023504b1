export * from "./attribution";
export * from "./calendar";
export * from "./csv";
export * from "./pipeline-age";
export * from "./response-bands";
export * from "./seasonality";
