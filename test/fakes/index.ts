import { chatFakes } from "./chat";
import type { Fake } from "./http";
import { mailFakes } from "./mail";
import { turnstileFake } from "./turnstile";

/** Every fake the test server serves; each claims its own paths. */
export const FAKES: Fake[] = [turnstileFake, ...mailFakes, ...chatFakes];
