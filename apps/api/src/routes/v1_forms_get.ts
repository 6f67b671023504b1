import type { PublicFormSettings } from "@plumbline/core";
import type { Hono } from "hono";
import type { HonoEnv } from "../context";
import { answerFormPreflight, applyFormCors, loadFormForBrowser } from "../middleware/form-cors";
import { renderThanksPage } from "../pages/submission-pages";

/** Public form routes: settings for the snippet to render a form, the hosted thank-you page and CORS preflights. */
export function registerPublicFormRoutes(app: Hono<HonoEnv>) {
  app.options("/v1/forms/:formKey", answerFormPreflight);
  app.options("/v1/forms/:formKey/submissions", answerFormPreflight);

  app.get("/v1/forms/:formKey", async (c) => {
    const { form } = await loadFormForBrowser(c);
    applyFormCors(c, form.allowedOrigins);

    const settings: PublicFormSettings = {
      key: form.key,
      name: form.name,
      fields: form.fields,
      honeypotField: form.honeypotField,
      turnstileSiteKey: form.turnstileSecretEncrypted ? form.turnstileSiteKey : null,
      submitLabel: form.submitLabel,
      successMessage: form.successMessage,
      submitUrl: new URL(`/v1/forms/${encodeURIComponent(form.key)}/submissions`, c.req.url).toString(),
    };
    c.header("Cache-Control", "public, max-age=60");
    return c.json(settings);
  });

  app.get("/v1/forms/:formKey/thanks", async (c) => {
    const { firm } = await loadFormForBrowser(c);
    const reference = c.req.query("reference");
    const safeReference = reference && /^ENQ-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(reference) ? reference : null;
    return c.html(renderThanksPage(firm.name, safeReference));
  });
}
