import { describe, expect, it } from "vitest";
import { verifyUrl } from "../../apps/api/src/auth/sign-in-link";
import { dashboardUrl, firmPath, opportunityUrl } from "../../apps/api/src/lib/dashboard-links";

describe("dashboard links", () => {
  it("opportunity URL names the firm", () => {
    expect(opportunityUrl("http://localhost:5173", "firm_demo", "opp_01abc")).toBe("http://localhost:5173/firms/firm_demo/opportunities/opp_01abc");
  });

  it("base with a path keeps it", () => {
    expect(opportunityUrl("https://crm.example/plumbline/", "firm_1", "opp_2")).toBe("https://crm.example/plumbline/firms/firm_1/opportunities/opp_2");
  });

  it("ids are escaped", () => {
    expect(opportunityUrl("https://crm.example", "firm/1", "opp?2")).toBe("https://crm.example/firms/firm%2F1/opportunities/opp%3F2");
  });

  it("firm path for an invitation's next page", () => {
    expect(firmPath("firm_demo", "pipeline")).toBe("/firms/firm_demo/pipeline");
  });

  it("sign-in link keeps the base path", () => {
    expect(verifyUrl("https://crm.example/plumbline", "tok", "/firms/firm_demo/pipeline")).toBe(
      "https://crm.example/plumbline/auth/verify?token=tok&next=%2Ffirms%2Ffirm_demo%2Fpipeline",
    );
  });

  it("dashboard root URL", () => {
    expect(dashboardUrl("http://localhost:5173", "/").toString()).toBe("http://localhost:5173/");
  });
});
