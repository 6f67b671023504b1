import { Hono } from "hono";
import type { HonoEnv } from "./context";
import { ApiError } from "./errors";
import { handleError } from "./middleware/errors";
import { services } from "./middleware/services";
import { registerDocs } from "./routes/docs";
import { registerEmbedScript } from "./routes/embed";
import { registerListContacts } from "./routes/v1_contacts_list";
import { registerPublicFormRoutes } from "./routes/v1_forms_get";
import { registerCreateSubmission } from "./routes/v1_forms_submissions_create";
import { registerGetOpportunity } from "./routes/v1_opportunities_get";
import { registerListOpportunities } from "./routes/v1_opportunities_list";
import { registerSubmissionRoutes } from "./routes/v1_submissions";
import { registerDevOutbox } from "./routes/dev_outbox";
import { registerIntegrationRoutes } from "./routes/v1_integrations";
import { registerOutboundMessageRoutes } from "./routes/v1_outbound_messages";
import { registerTaskRoutes } from "./routes/v1_tasks";
import { registerOpportunityStageRoutes } from "./routes/v1_opportunities_stage";
import { registerBookingWebhooks } from "./routes/v1_webhooks_booking";
import { registerMailEventWebhooks } from "./routes/v1_webhooks_mail_events";
import { registerSettingsRoutes } from "./routes/v1_settings";
import { registerRoutingRoutes } from "./routes/v1_routing";
import { registerEmailTemplateRoutes } from "./routes/v1_email_templates";
import { registerMemberRoutes } from "./routes/v1_members";
import { registerInboundEmailRoutes } from "./routes/v1_inbound_email";
import { registerEmailRoutes } from "./routes/v1_emails";
import { registerReportRoutes } from "./routes/v1_reports";

export function createApp() {
  const app = new Hono<HonoEnv>();
  app.use("*", services);

  app.get("/health", (c) => c.json({ status: "ok" }));
  registerEmbedScript(app);
  registerDocs(app);
  registerPublicFormRoutes(app);
  registerCreateSubmission(app);
  registerListContacts(app);
  registerListOpportunities(app);
  registerGetOpportunity(app);
  registerSubmissionRoutes(app);
  registerTaskRoutes(app);
  registerOpportunityStageRoutes(app);
  registerBookingWebhooks(app);
  registerMailEventWebhooks(app);
  registerOutboundMessageRoutes(app);
  registerIntegrationRoutes(app);
  registerSettingsRoutes(app);
  registerRoutingRoutes(app);
  registerEmailTemplateRoutes(app);
  registerMemberRoutes(app);
  registerInboundEmailRoutes(app);
  registerEmailRoutes(app);
  registerReportRoutes(app);
  registerDevOutbox(app);

  app.notFound((c) => {
    throw new ApiError("not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
  });
  app.onError(handleError);
  return app;
}
