import { STAGES } from "./format";

/** Open stages, the ones that can stall; Won and Lost are closed. */
export const STALL_STAGES = STAGES.filter((stage) => stage.key !== "won" && stage.key !== "lost");
