import { DEFAULT_ACKNOWLEDGEMENT } from "@plumbline/core";
import { firms, memberships, routingRules } from "@plumbline/db";
import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callApi, errorOf, getWithKey, submitJson } from "../support/api";
import { seedIntegration, seedPeople, settledMessages, tasksOf } from "../support/follow-up";
import { opportunitiesOf } from "../support/rows";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";

type Settings = {
  timeZone: string;
  workingHours: Array<{ day: number; start: string; end: string }>;
  closedDates: string[];
  responseTargetMinutes: number;
  reminderIntervalMinutes: number;
  remindersBeforeEscalation: number;
  fallbackOwnerUserId: string | null;
  escalationUserId: string | null;
  senderEmail: string | null;
  senderName: string | null;
  defaultPhoneRegion: string;
  updatedAt: string;
};
type Rule = { id: string; serviceLine: string | null; userId: string | null; teamId: string | null };
type Team = { id: string; name: string; chatIntegrationId: string | null; members: Array<{ userId: string; name: string; away: boolean }> };
type Routing = { rules: Rule[]; teams: Team[] };
type Template = { kind: string; subject: string; text: string; html: string; isDefault: boolean; updatedAt: string | null; placeholders: string[] };
type Member = { userId: string; name: string; email: string; role: string; awayUntil: string | null; away: boolean };
type ValidationError = { code: string; message: string; field?: string; details?: { unknownPlaceholders?: string[]; issues?: Array<{ field: string }> } };

/** Sends a JSON body (or a raw string, sent as it is) with the firm's API key. */
function send(method: string, path: string, apiKey: string, body?: unknown): Promise<Response> {
  return callApi(path, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

async function bodyOf<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function validationErrorOf(response: Response): Promise<ValidationError> {
  return ((await response.json()) as { error: ValidationError }).error;
}

async function settingsOf(firm: SeededFirm): Promise<Settings> {
  const response = await getWithKey("/v1/settings/follow-up", firm.apiKey);
  expect(response.status).toBe(200);
  return bodyOf<Settings>(response);
}

async function routingOf(firm: SeededFirm): Promise<Routing> {
  const response = await getWithKey("/v1/routing", firm.apiKey);
  expect(response.status).toBe(200);
  return bodyOf<Routing>(response);
}

async function createTeam(firm: SeededFirm, body: Record<string, unknown>): Promise<Team> {
  const response = await send("POST", "/v1/teams", firm.apiKey, body);
  expect(response.status).toBe(201);
  return bodyOf<Team>(response);
}

async function putRules(firm: SeededFirm, rules: unknown[]): Promise<Response> {
  return send("PUT", "/v1/routing/rules", firm.apiKey, { rules });
}

function enquire(formKey: string, label: string, fields: Record<string, string>) {
  return submitJson(formKey, { submissionId: `set-${label}-${crypto.randomUUID().slice(0, 8)}`, fields });
}

describe("settings routes need an API key", () => {
  const routes: Array<[string, string]> = [
    ["GET", "/v1/settings/follow-up"],
    ["PATCH", "/v1/settings/follow-up"],
    ["GET", "/v1/routing"],
    ["PUT", "/v1/routing/rules"],
    ["POST", "/v1/teams"],
    ["PATCH", "/v1/teams/team_x"],
    ["PUT", "/v1/teams/team_x/members"],
    ["GET", "/v1/email-templates/acknowledgement"],
    ["PUT", "/v1/email-templates/acknowledgement"],
    ["DELETE", "/v1/email-templates/acknowledgement"],
    ["GET", "/v1/members"],
    ["PATCH", "/v1/members/user_x"],
  ];

  for (const [method, path] of routes) {
    it(`${method} ${path} without a key is 401`, async () => {
      const response = await callApi(path, { method, headers: { "content-type": "application/json" }, ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }) });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe("unauthorized");
    });
  }
});

describe("follow-up settings: happy", () => {
  it("get returns the stored settings", async () => {
    const [firm] = await seedTwoFirms();
    const settings = await settingsOf(firm);

    expect(settings.timeZone).toBe("Europe/London");
    expect(settings.workingHours).toHaveLength(5);
    expect(settings.workingHours[0]).toEqual({ day: 1, start: "09:00", end: "17:30" });
    expect(settings.closedDates).toEqual([]);
    expect(settings.responseTargetMinutes).toBe(120);
    expect(settings.reminderIntervalMinutes).toBe(60);
    expect(settings.remindersBeforeEscalation).toBe(2);
    expect(settings.fallbackOwnerUserId).toBeNull();
    expect(settings.defaultPhoneRegion).toBe("GB");
  });

  it("UK-style closed dates are stored as ISO", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { closedDates: ["25/12/2026", "1/1/2027", "2026-12-28", "28/12/2026"] });
    expect(response.status).toBe(200);

    expect((await settingsOf(firm)).closedDates).toEqual(["2026-12-25", "2026-12-28", "2027-01-01"]);
  });

  it("patch changes only the keys sent", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, {
      responseTargetMinutes: 240,
      closedDates: ["2026-12-28", "2026-12-25", "2026-12-25"],
    });
    expect(response.status).toBe(200);

    const settings = await settingsOf(firm);
    expect(settings.responseTargetMinutes).toBe(240);
    expect(settings.closedDates).toEqual(["2026-12-25", "2026-12-28"]);
    expect(settings.reminderIntervalMinutes).toBe(60);
    expect(settings.workingHours).toHaveLength(5);
    expect(settings.timeZone).toBe("Europe/London");
  });

  it("patch stores every setting", async () => {
    const [firm] = await seedTwoFirms();
    const [owner, escalation] = await seedPeople(firm.firmId, [{ name: "Olive Owner" }, { name: "Ethan Escalation" }]);
    const patch = {
      timeZone: "Europe/Dublin",
      workingHours: [
        { day: 1, start: "08:30", end: "12:30" },
        { day: 1, start: "13:30", end: "17:00" },
        { day: 6, start: "10:00", end: "24:00" },
      ],
      closedDates: ["2027-01-01"],
      responseTargetMinutes: 10_080,
      reminderIntervalMinutes: 5,
      remindersBeforeEscalation: 0,
      fallbackOwnerUserId: owner,
      escalationUserId: escalation,
      senderEmail: "enquiries@hartley.example",
      senderName: "Hartley & Moss",
      defaultPhoneRegion: "IE",
    };
    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, patch);
    expect(response.status).toBe(200);

    const { updatedAt: _updatedAt, stallDays: _stallDays, closeAsLostDays: _closeAsLostDays, ...stored } = await bodyOf<
      Settings & { stallDays: unknown; closeAsLostDays: unknown }
    >(response);
    expect(stored).toEqual(patch);
    expect(await settingsOf(firm)).toMatchObject(patch);
  });

  it("patch normalises names, codes and addresses", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, {
      timeZone: "europe/london",
      defaultPhoneRegion: "ie",
      senderEmail: "Enquiries@Bücher.example",
      senderName: "  Hartley & Moss  ",
    });
    expect(response.status).toBe(200);

    const settings = await bodyOf<Settings>(response);
    expect(settings.timeZone).toBe("Europe/London");
    expect(settings.defaultPhoneRegion).toBe("IE");
    expect(settings.senderEmail).toBe("Enquiries@xn--bcher-kva.example");
    expect(settings.senderName).toBe("Hartley & Moss");
  });

  it("patch with null clears people and sender", async () => {
    const [firm] = await seedTwoFirms();
    const [owner] = await seedPeople(firm.firmId, [{ name: "Olive Owner" }]);
    await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { fallbackOwnerUserId: owner, escalationUserId: owner, senderEmail: "a@firm.example", senderName: "A" });

    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { fallbackOwnerUserId: null, escalationUserId: null, senderEmail: null, senderName: null });
    expect(response.status).toBe(200);

    const settings = await settingsOf(firm);
    expect(settings.fallbackOwnerUserId).toBeNull();
    expect(settings.escalationUserId).toBeNull();
    expect(settings.senderEmail).toBeNull();
    expect(settings.senderName).toBeNull();
  });

  it("empty patch changes nothing", async () => {
    const [firm] = await seedTwoFirms();
    const before = await settingsOf(firm);
    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, {});
    expect(response.status).toBe(200);
    expect(await bodyOf<Settings>(response)).toEqual(before);
  });
});

describe("follow-up settings: errors", () => {
  const cases: Array<{ name: string; patch: unknown; field: string; mentions: string }> = [
    { name: "unknown time zone", patch: { timeZone: "Mars/Olympus_Mons" }, field: "timeZone", mentions: "timeZone" },
    { name: "offset as time zone", patch: { timeZone: "+01:00" }, field: "timeZone", mentions: "IANA" },
    { name: "time zone of wrong type", patch: { timeZone: 1 }, field: "timeZone", mentions: "timeZone" },
    { name: "no working hours", patch: { workingHours: [] }, field: "workingHours", mentions: "workingHours" },
    { name: "end before start", patch: { workingHours: [{ day: 1, start: "17:00", end: "09:00" }] }, field: "workingHours.0", mentions: "workingHours[0]" },
    {
      name: "malformed time",
      patch: { workingHours: [{ day: 1, start: "09:00", end: "17:00" }, { day: 2, start: "9am", end: "17:00" }] },
      field: "workingHours.1.start",
      mentions: "workingHours[1].start",
    },
    { name: "weekday 8", patch: { workingHours: [{ day: 8, start: "09:00", end: "17:00" }] }, field: "workingHours.0.day", mentions: "workingHours[0].day" },
    { name: "extra key in a day", patch: { workingHours: [{ day: 1, start: "09:00", end: "17:00", lunch: true }] }, field: "workingHours.0.lunch", mentions: "lunch" },
    { name: "date that does not exist", patch: { closedDates: ["2026-02-30"] }, field: "closedDates.0", mentions: 'Closed date "2026-02-30" is not a real date' },
    { name: "UK date that does not exist", patch: { closedDates: ["2026-12-25", "31/04/2026"] }, field: "closedDates.1", mentions: 'Closed date "31/04/2026" is not a real date' },
    { name: "US-style date", patch: { closedDates: ["12/25/2026"] }, field: "closedDates.0", mentions: "DD/MM/YYYY, such as 25/12/2026" },
    { name: "date in words", patch: { closedDates: ["25 Dec 2026"] }, field: "closedDates.0", mentions: "YYYY-MM-DD" },
    {
      name: "201 closed dates",
      patch: { closedDates: Array.from({ length: 201 }, (_, i) => new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10)) },
      field: "closedDates",
      mentions: "200",
    },
    { name: "response target 0", patch: { responseTargetMinutes: 0 }, field: "responseTargetMinutes", mentions: "1 to 10080" },
    { name: "response target above a week", patch: { responseTargetMinutes: 10_081 }, field: "responseTargetMinutes", mentions: "1 to 10080" },
    { name: "fractional response target", patch: { responseTargetMinutes: 1.5 }, field: "responseTargetMinutes", mentions: "whole number" },
    { name: "response target as text", patch: { responseTargetMinutes: "120" }, field: "responseTargetMinutes", mentions: "whole number" },
    { name: "reminder interval 4", patch: { reminderIntervalMinutes: 4 }, field: "reminderIntervalMinutes", mentions: "5 to 10080" },
    { name: "11 reminders", patch: { remindersBeforeEscalation: 11 }, field: "remindersBeforeEscalation", mentions: "0 to 10" },
    { name: "negative reminders", patch: { remindersBeforeEscalation: -1 }, field: "remindersBeforeEscalation", mentions: "0 to 10" },
    { name: "unknown fallback owner", patch: { fallbackOwnerUserId: "user_nobody" }, field: "fallbackOwnerUserId", mentions: "not a member" },
    { name: "unknown escalation contact", patch: { escalationUserId: "user_nobody" }, field: "escalationUserId", mentions: "not a member" },
    { name: "invalid sender email", patch: { senderEmail: "enquiries at firm" }, field: "senderEmail", mentions: "senderEmail" },
    { name: "sender name with line break", patch: { senderName: "Firm\r\nBcc: victim@example.com" }, field: "senderName", mentions: "line breaks" },
    { name: "sender name with NUL", patch: { senderName: "Firm\u0000" }, field: "senderName", mentions: "control characters" },
    { name: "three-letter region", patch: { defaultPhoneRegion: "GBR" }, field: "defaultPhoneRegion", mentions: "ISO 3166" },
    { name: "region that is not a country", patch: { defaultPhoneRegion: "ZZ" }, field: "defaultPhoneRegion", mentions: "ISO 3166" },
    { name: "unknown key", patch: { responseTarget: 60 }, field: "responseTarget", mentions: "responseTargetMinutes" },
    { name: "array body", patch: [], field: "body", mentions: "JSON object" },
  ];

  for (const testCase of cases) {
    it(`rejects ${testCase.name}`, async () => {
      const [firm] = await seedTwoFirms();
      const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, testCase.patch);
      expect(response.status).toBe(422);

      const error = await validationErrorOf(response);
      expect(error.code).toBe("validation_failed");
      expect(error.field).toBe(testCase.field);
      expect(error.message).toContain(testCase.mentions);
    });
  }

  it("closed date message has no index", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { closedDates: ["2026-12-25", "2026-12-28", "30/02/2027"] }));
    expect(error.message).not.toMatch(/\[\d+\]/);
    expect(error.message).not.toContain("closedDates");
  });

  it("unknown key named as unknown", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { responseTarget: 60 }));
    expect(error.message).toContain('unknown field "responseTarget"');
  });

  it("lists every invalid field in details", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(
      await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { responseTargetMinutes: 0, reminderIntervalMinutes: 0 }),
    );
    expect(error.details?.issues?.map((issue) => issue.field)).toEqual(["responseTargetMinutes", "reminderIntervalMinutes"]);
  });

  it("body that is not JSON is 400", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, "{not json");
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_request");
  });

  it("rejected patch writes nothing", async () => {
    const [firm] = await seedTwoFirms();
    const before = await settingsOf(firm);
    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { responseTargetMinutes: 300, defaultPhoneRegion: "ZZ" });
    expect(response.status).toBe(422);
    expect(await settingsOf(firm)).toEqual(before);
  });

  it("accepts the boundary values", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, {
      responseTargetMinutes: 1,
      reminderIntervalMinutes: 10_080,
      remindersBeforeEscalation: 10,
      closedDates: Array.from({ length: 200 }, (_, i) => new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10)),
    });
    expect(response.status).toBe(200);
    expect((await bodyOf<Settings>(response)).closedDates).toHaveLength(200);
  });
});

describe("follow-up settings: security", () => {
  it("other firm's member rejected as unknown", async () => {
    const [firm, other] = await seedTwoFirms();
    const [outsider] = await seedPeople(other.firmId, [{ name: "Olga Outsider" }]);

    for (const field of ["fallbackOwnerUserId", "escalationUserId"]) {
      const response = await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { [field]: outsider });
      expect(response.status).toBe(422);
      const error = await validationErrorOf(response);
      expect(error.field).toBe(field);
      expect(error.message).toBe(`${field} names user ${outsider}, who is not a member of this firm.`);
    }
    expect((await settingsOf(firm)).fallbackOwnerUserId).toBeNull();
  });

  it("each firm reads and changes only its own", async () => {
    const [firm, other] = await seedTwoFirms();
    await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { responseTargetMinutes: 45, senderName: "Hartley & Moss" });

    const response = await send("PATCH", "/v1/settings/follow-up", other.apiKey, { responseTargetMinutes: 999 });
    expect(response.status).toBe(200);

    expect((await settingsOf(firm)).responseTargetMinutes).toBe(45);
    const otherSettings = await settingsOf(other);
    expect(otherSettings.responseTargetMinutes).toBe(999);
    expect(otherSettings.senderName).toBeNull();
  });
});

describe("follow-up settings: effect", () => {
  it("fallback owner takes unrouted enquiries", async () => {
    const [firm] = await seedTwoFirms();
    const [fallback] = await seedPeople(firm.firmId, [{ name: "Fran Fallback" }]);
    await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { fallbackOwnerUserId: fallback });

    await enquire(firm.formKey, "fallback", { name: "Pat Prospect", email: "pat.fallback@example.com" });

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.ownerUserId).toBe(fallback);
  });

  it("response target sets the task's due time", async () => {
    const [firm] = await seedTwoFirms();
    const allWeek = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));
    await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { timeZone: "UTC", workingHours: allWeek, responseTargetMinutes: 30 });

    await enquire(firm.formKey, "target", { name: "Quinn Quick", email: "quinn.target@example.com" });

    const [task] = await tasksOf(firm.firmId);
    const [opportunity] = await opportunitiesOf(firm.firmId);
    // Every minute is a working minute, so the target is 30 clock minutes after the enquiry.
    expect(task!.dueAt.getTime() - opportunity!.createdAt.getTime()).toBe(30 * 60_000);
  });

  it("sender address goes on the acknowledgement", async () => {
    const [firm] = await seedTwoFirms();
    await send("PATCH", "/v1/settings/follow-up", firm.apiKey, { senderEmail: "new-desk@hartley.example" });

    await enquire(firm.formKey, "sender", { name: "Sam Sender", email: "sam.sender@example.com" });

    const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
    const rendered = (acknowledgement?.data as { rendered?: { from?: string } }).rendered;
    expect(rendered?.from).toBe("new-desk@hartley.example");
  });
});

describe("routing: happy", () => {
  it("new firm has no rules or teams", async () => {
    const [firm] = await seedTwoFirms();
    expect(await routingOf(firm)).toEqual({ rules: [], teams: [] });
  });

  it("team is created with its members in order", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob", away: true }]);
    const chat = await seedIntegration(firm.firmId, "chat", "slack", "https://hooks.slack.com/services/T0/B0/x");

    const team = await createTeam(firm, { name: "Family", chatIntegrationId: chat, memberUserIds: [bob, ann] });
    expect(team.name).toBe("Family");
    expect(team.chatIntegrationId).toBe(chat);
    expect(team.members.map((member) => member.userId)).toEqual([bob, ann]);
    expect(team.members.map((member) => member.away)).toEqual([true, false]);

    const routing = await routingOf(firm);
    expect(routing.teams).toEqual([team]);
  });

  it("team without members or channel", async () => {
    const [firm] = await seedTwoFirms();
    const team = await createTeam(firm, { name: "Property" });
    expect(team.members).toEqual([]);
    expect(team.chatIntegrationId).toBeNull();
  });

  it("rules are stored in the order sent", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }]);
    const team = await createTeam(firm, { name: "Family", memberUserIds: [ann] });

    const response = await putRules(firm, [
      { serviceLine: "family-law", teamId: team.id },
      { serviceLine: "  property ", userId: bob },
      { serviceLine: null, userId: ann, teamId: null },
    ]);
    expect(response.status).toBe(200);

    const { rules } = await routingOf(firm);
    expect(rules.map(({ serviceLine, userId, teamId }) => ({ serviceLine, userId, teamId }))).toEqual([
      { serviceLine: "family-law", userId: null, teamId: team.id },
      { serviceLine: "property", userId: bob, teamId: null },
      { serviceLine: null, userId: ann, teamId: null },
    ]);
    expect((await bodyOf<{ rules: Rule[] }>(response)).rules).toEqual(rules);
  });

  it("put replaces the whole list", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }]);
    await putRules(firm, [{ serviceLine: "family-law", userId: ann }, { serviceLine: "property", userId: ann }]);

    expect((await putRules(firm, [{ serviceLine: null, userId: bob }])).status).toBe(200);
    expect((await routingOf(firm)).rules.map((rule) => rule.userId)).toEqual([bob]);

    expect((await putRules(firm, [])).status).toBe(200);
    expect((await routingOf(firm)).rules).toEqual([]);
  });

  it("100 rules fit in one replace", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const rules = Array.from({ length: 99 }, (_, i) => ({ serviceLine: `line-${i}`, userId: ann }));
    rules.push({ serviceLine: null as unknown as string, userId: ann });

    const response = await putRules(firm, rules);
    expect(response.status).toBe(200);

    const stored = await testDatabase().select().from(routingRules).where(eq(routingRules.firmId, firm.firmId)).orderBy(asc(routingRules.position));
    expect(stored).toHaveLength(100);
    expect(stored[0]?.serviceLine).toBe("line-0");
    expect(stored[99]?.serviceLine).toBeNull();
  });

  it("team is renamed and its channel changed", async () => {
    const [firm] = await seedTwoFirms();
    const chat = await seedIntegration(firm.firmId, "chat", "slack", "https://hooks.slack.com/services/T0/B0/y");
    const team = await createTeam(firm, { name: "Family" });

    const renamed = await send("PATCH", `/v1/teams/${team.id}`, firm.apiKey, { name: "Family & Children", chatIntegrationId: chat });
    expect(renamed.status).toBe(200);
    expect(await bodyOf<Team>(renamed)).toMatchObject({ name: "Family & Children", chatIntegrationId: chat });

    const cleared = await send("PATCH", `/v1/teams/${team.id}`, firm.apiKey, { chatIntegrationId: null });
    expect(await bodyOf<Team>(cleared)).toMatchObject({ name: "Family & Children", chatIntegrationId: null });
  });

  it("team renamed to itself, new case", async () => {
    const [firm] = await seedTwoFirms();
    const team = await createTeam(firm, { name: "family" });
    const response = await send("PATCH", `/v1/teams/${team.id}`, firm.apiKey, { name: "Family" });
    expect(response.status).toBe(200);
    expect((await bodyOf<Team>(response)).name).toBe("Family");
  });

  it("team members are replaced in order", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob, cat] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }, { name: "Cat" }]);
    const team = await createTeam(firm, { name: "Family", memberUserIds: [ann, bob] });

    const response = await send("PUT", `/v1/teams/${team.id}/members`, firm.apiKey, { userIds: [cat, ann] });
    expect(response.status).toBe(200);
    expect((await bodyOf<Team>(response)).members.map((member) => member.userId)).toEqual([cat, ann]);

    const [stored] = (await routingOf(firm)).teams;
    expect(stored?.members.map((member) => member.userId)).toEqual([cat, ann]);
  });
});

describe("routing: errors", () => {
  it("rule naming both a person and a team", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const team = await createTeam(firm, { name: "Family", memberUserIds: [ann] });

    const response = await putRules(firm, [{ serviceLine: null, userId: ann, teamId: team.id }]);
    expect(response.status).toBe(422);
    const error = await validationErrorOf(response);
    expect(error.field).toBe("rules.0");
    expect(error.message).toBe("rules.0 must name exactly one of userId or teamId.");
  });

  it("rule naming neither", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await putRules(firm, [{ serviceLine: "family-law" }]));
    expect(error.field).toBe("rules.0");
    expect(error.message).toContain("exactly one of userId or teamId");
  });

  it("rule without serviceLine", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const error = await validationErrorOf(await putRules(firm, [{ userId: ann }]));
    expect(error.field).toBe("rules.0.serviceLine");
    expect(error.message).toBe("rules.0.serviceLine is required.");
  });

  it("rule with a misspelt key", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const error = await validationErrorOf(await putRules(firm, [{ serviceLine: null, user: ann }]));
    expect(error.field).toBe("rules.0.user");
    expect(error.message).toContain('unknown field "user"');
    expect(error.message).toContain("serviceLine, userId, teamId");
  });

  it("rule after a catch-all rule", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const error = await validationErrorOf(await putRules(firm, [{ serviceLine: null, userId: ann }, { serviceLine: "family-law", userId: ann }]));
    expect(error.field).toBe("rules.1");
    expect(error.message).toContain("can never match");
  });

  it("two rules for one service line", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const error = await validationErrorOf(await putRules(firm, [{ serviceLine: "Family-Law", userId: ann }, { serviceLine: "family-law ", userId: ann }]));
    expect(error.field).toBe("rules.1.serviceLine");
    expect(error.message).toContain("rules.0");
  });

  it("more than 100 rules", async () => {
    const [firm] = await seedTwoFirms();
    const rules = Array.from({ length: 101 }, (_, i) => ({ serviceLine: `line-${i}`, userId: "user_x" }));
    const error = await validationErrorOf(await putRules(firm, rules));
    expect(error.field).toBe("rules");
    expect(error.message).toBe("rules must have at most 100 rules.");
  });

  it("rules not sent as a list", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await send("PUT", "/v1/routing/rules", firm.apiKey, [{ serviceLine: null, userId: "user_x" }]));
    expect(error.field).toBe("body");
  });

  it("bad rule halfway writes nothing", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }]);
    await putRules(firm, [{ serviceLine: "family-law", userId: ann }, { serviceLine: null, userId: bob }]);
    const before = (await routingOf(firm)).rules;

    const response = await putRules(firm, [
      { serviceLine: "property", userId: bob },
      { serviceLine: "family-law", userId: "user_nobody" },
      { serviceLine: null, userId: ann },
    ]);
    expect(response.status).toBe(422);
    expect((await validationErrorOf(response)).field).toBe("rules.1.userId");

    expect((await routingOf(firm)).rules).toEqual(before);
  });

  it("unknown team in a rule", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await putRules(firm, [{ serviceLine: null, teamId: "team_nothing" }]));
    expect(error.field).toBe("rules.0.teamId");
    expect(error.message).toContain("not a team of this firm");
  });

  it("team with an empty name", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("POST", "/v1/teams", firm.apiKey, { name: "   " });
    expect(response.status).toBe(422);
    expect(await validationErrorOf(response)).toMatchObject({ field: "name", message: "name must not be empty." });
  });

  it("team name with a line break", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await send("POST", "/v1/teams", firm.apiKey, { name: "Family\nLaw" }));
    expect(error.field).toBe("name");
    expect(error.message).toContain("control characters");
  });

  it("team name already taken", async () => {
    const [firm] = await seedTwoFirms();
    await createTeam(firm, { name: "Family" });
    const response = await send("POST", "/v1/teams", firm.apiKey, { name: "FAMILY" });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).field).toBe("name");
  });

  it("person listed twice in a team", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }]);
    const team = await createTeam(firm, { name: "Family" });

    const response = await send("PUT", `/v1/teams/${team.id}/members`, firm.apiKey, { userIds: [ann, bob, ann] });
    expect(response.status).toBe(422);
    expect((await validationErrorOf(response)).field).toBe("userIds.2");
  });

  it("unknown person in a team", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await send("POST", "/v1/teams", firm.apiKey, { name: "Family", memberUserIds: ["user_nobody"] }));
    expect(error.field).toBe("memberUserIds.0");
  });

  it("mail integration as a team's channel", async () => {
    const [firm] = await seedTwoFirms();
    const mail = await seedIntegration(firm.firmId, "mail", "postmark", "pm-ok");
    const team = await createTeam(firm, { name: "Family" });

    const response = await send("PATCH", `/v1/teams/${team.id}`, firm.apiKey, { chatIntegrationId: mail });
    expect(response.status).toBe(422);
    expect((await validationErrorOf(response)).field).toBe("chatIntegrationId");
  });

  it("unknown team is 404", async () => {
    const [firm] = await seedTwoFirms();
    expect((await send("PATCH", "/v1/teams/team_nothing", firm.apiKey, { name: "X" })).status).toBe(404);
    expect((await send("PUT", "/v1/teams/team_nothing/members", firm.apiKey, { userIds: [] })).status).toBe(404);
  });
});

describe("routing: security", () => {
  it("another firm's rules and teams are not listed", async () => {
    const [firm, other] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const team = await createTeam(firm, { name: "Family", memberUserIds: [ann] });
    await putRules(firm, [{ serviceLine: null, teamId: team.id }]);

    expect(await routingOf(other)).toEqual({ rules: [], teams: [] });
  });

  it("another firm's team is 404 and unchanged", async () => {
    const [firm, other] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const [intruder] = await seedPeople(other.firmId, [{ name: "Ivan Intruder" }]);
    const team = await createTeam(firm, { name: "Family", memberUserIds: [ann] });

    const renamed = await send("PATCH", `/v1/teams/${team.id}`, other.apiKey, { name: "Taken over" });
    expect(renamed.status).toBe(404);
    expect((await errorOf(renamed)).code).toBe("not_found");
    const restaffed = await send("PUT", `/v1/teams/${team.id}/members`, other.apiKey, { userIds: [intruder] });
    expect(restaffed.status).toBe(404);

    const [stored] = (await routingOf(firm)).teams;
    expect(stored?.name).toBe("Family");
    expect(stored?.members.map((member) => member.userId)).toEqual([ann]);
  });

  it("rules cannot name another firm's people or teams", async () => {
    const [firm, other] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const team = await createTeam(firm, { name: "Family", memberUserIds: [ann] });

    const byTeam = await putRules(other, [{ serviceLine: null, teamId: team.id }]);
    expect(byTeam.status).toBe(422);
    expect((await validationErrorOf(byTeam)).field).toBe("rules.0.teamId");

    const byUser = await putRules(other, [{ serviceLine: null, userId: ann }]);
    expect(byUser.status).toBe(422);
    expect((await validationErrorOf(byUser)).field).toBe("rules.0.userId");

    expect((await routingOf(other)).rules).toEqual([]);
  });

  it("teams cannot hold another firm's people or channel", async () => {
    const [firm, other] = await seedTwoFirms();
    const [outsider] = await seedPeople(other.firmId, [{ name: "Olga Outsider" }]);
    const otherChat = await seedIntegration(other.firmId, "chat", "slack", "https://hooks.slack.com/services/T1/B1/z");

    const withOutsider = await send("POST", "/v1/teams", firm.apiKey, { name: "Family", memberUserIds: [outsider] });
    expect(withOutsider.status).toBe(422);
    expect((await validationErrorOf(withOutsider)).field).toBe("memberUserIds.0");

    const withChannel = await send("POST", "/v1/teams", firm.apiKey, { name: "Family", chatIntegrationId: otherChat });
    expect(withChannel.status).toBe(422);
    expect((await validationErrorOf(withChannel)).field).toBe("chatIntegrationId");

    const team = await createTeam(firm, { name: "Family" });
    const restaffed = await send("PUT", `/v1/teams/${team.id}/members`, firm.apiKey, { userIds: [outsider] });
    expect(restaffed.status).toBe(422);
    expect((await validationErrorOf(restaffed)).field).toBe("userIds.0");

    expect((await routingOf(firm)).teams.map((stored) => stored.members)).toEqual([[]]);
  });

  it("replacing rules leaves the other firm's rules alone", async () => {
    const [firm, other] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const [olga] = await seedPeople(other.firmId, [{ name: "Olga" }]);
    await putRules(firm, [{ serviceLine: null, userId: ann }]);

    await putRules(other, [{ serviceLine: null, userId: olga }]);
    await putRules(other, []);

    expect((await routingOf(firm)).rules.map((rule) => rule.userId)).toEqual([ann]);
  });
});

describe("routing: effect", () => {
  it("enquiries follow the rules just saved", async () => {
    const [firm] = await seedTwoFirms();
    const [family, property] = await seedPeople(firm.firmId, [{ name: "Fay Family" }, { name: "Pete Property" }]);

    await putRules(firm, [{ serviceLine: "property", userId: property }, { serviceLine: null, userId: family }]);
    await enquire(firm.formKey, "first", { name: "First Prospect", email: "first.rules@example.com", service: "conveyancing" });

    await putRules(firm, [{ serviceLine: null, userId: family }]);
    await enquire(firm.formKey, "second", { name: "Second Prospect", email: "second.rules@example.com", service: "conveyancing" });

    const owners = (await opportunitiesOf(firm.firmId)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map((row) => row.ownerUserId);
    expect(owners).toEqual([property, family]);
  });

  it("API-built team skips away member", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }]);
    const team = await createTeam(firm, { name: "Family", memberUserIds: [ann, bob] });
    await putRules(firm, [{ serviceLine: null, teamId: team.id }]);

    const nextWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
    expect((await send("PATCH", `/v1/members/${ann}`, firm.apiKey, { awayUntil: nextWeek })).status).toBe(200);

    await enquire(firm.formKey, "team1", { name: "Team One", email: "team.one@example.com" });
    await enquire(firm.formKey, "team2", { name: "Team Two", email: "team.two@example.com" });

    const owners = (await opportunitiesOf(firm.firmId)).map((row) => row.ownerUserId);
    expect(owners).toEqual([bob, bob]);
  });
});

describe("acknowledgement template: happy", () => {
  it("get returns the built-in template", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/email-templates/acknowledgement", firm.apiKey);
    expect(response.status).toBe(200);

    const template = await bodyOf<Template>(response);
    expect(template.isDefault).toBe(true);
    expect(template.updatedAt).toBeNull();
    expect(template.subject).toBe(DEFAULT_ACKNOWLEDGEMENT.subject);
    expect(template.text).toBe(DEFAULT_ACKNOWLEDGEMENT.text);
    expect(template.placeholders).toContain("prospect_first_name");
  });

  it("put stores the firm's own template", async () => {
    const [firm] = await seedTwoFirms();
    const content = { subject: "Thanks, {{prospect_first_name}} ({{reference}})", text: "{{greeting}},\nWe will call you.", html: "<p>{{greeting}},</p><p>We will call you.</p>" };

    const response = await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, content);
    expect(response.status).toBe(200);
    expect(await bodyOf<Template>(response)).toMatchObject({ ...content, isDefault: false });

    const stored = await bodyOf<Template>(await getWithKey("/v1/email-templates/acknowledgement", firm.apiKey));
    expect(stored).toMatchObject({ ...content, isDefault: false });
    expect(stored.updatedAt).not.toBeNull();
  });

  it("built-in template passes its own checks", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, DEFAULT_ACKNOWLEDGEMENT);
    expect(response.status).toBe(200);
  });

  it("delete goes back to the built-in template", async () => {
    const [firm] = await seedTwoFirms();
    await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { subject: "Own", text: "Own text", html: "<p>Own</p>" });

    expect((await send("DELETE", "/v1/email-templates/acknowledgement", firm.apiKey)).status).toBe(204);
    const template = await bodyOf<Template>(await getWithKey("/v1/email-templates/acknowledgement", firm.apiKey));
    expect(template.isDefault).toBe(true);
    expect(template.subject).toBe(DEFAULT_ACKNOWLEDGEMENT.subject);

    expect((await send("DELETE", "/v1/email-templates/acknowledgement", firm.apiKey)).status).toBe(204);
  });

  it("length caps count characters, not UTF-16 units", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { subject: "📨".repeat(200), text: "t", html: "h" });
    expect(response.status).toBe(200);
  });
});

describe("acknowledgement template: errors", () => {
  const valid = { subject: "Thanks ({{reference}})", text: "{{greeting}},", html: "<p>{{greeting}},</p>" };

  it("unknown placeholders are listed", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, {
      ...valid,
      text: "{{greeting}}, thank you for contacting {{firm_nmae}} about {{servce_line}}.",
      html: "<p>{{firm_nmae}}</p>",
    });
    expect(response.status).toBe(422);

    const error = await validationErrorOf(response);
    expect(error.field).toBe("text");
    expect(error.details?.unknownPlaceholders).toEqual(["{{firm_nmae}}", "{{servce_line}}"]);
    expect(error.message).toContain("{{firm_nmae}}, {{servce_line}}");
    expect(error.message).toContain("{{firm_name}}");
  });

  it("placeholder the renderer cannot read", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { ...valid, subject: "From {{Firm_Name}}" }));
    expect(error.field).toBe("subject");
    expect(error.details?.unknownPlaceholders).toEqual(["{{Firm_Name}}"]);
  });

  it("subject with a line break", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { ...valid, subject: "Thanks\r\nBcc: victim@example.com" });
    expect(response.status).toBe(422);
    const error = await validationErrorOf(response);
    expect(error.field).toBe("subject");
    expect(error.message).toContain("single line");
  });

  const tooLong: Array<[keyof typeof valid, number, string]> = [
    ["subject", 201, "200"],
    ["text", 20_001, "20,000"],
    ["html", 50_001, "50,000"],
  ];
  for (const [part, length, limit] of tooLong) {
    it(`${part} over ${limit} characters`, async () => {
      const [firm] = await seedTwoFirms();
      const error = await validationErrorOf(await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { ...valid, [part]: "x".repeat(length) }));
      expect(error.field).toBe(part);
      expect(error.message).toBe(`${part} must be at most ${limit} characters.`);
    });
  }

  it("missing html", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { subject: valid.subject, text: valid.text }));
    expect(error.field).toBe("html");
    expect(error.message).toBe("html is required.");
  });

  it("misspelt key is named", async () => {
    const [firm] = await seedTwoFirms();
    const error = await validationErrorOf(
      await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { subjet: valid.subject, text: valid.text, html: valid.html }),
    );
    expect(error.field).toBe("subjet");
    expect(error.message).toContain('unknown field "subjet"');
  });

  it("unknown kind is 404", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/email-templates/newsletter", firm.apiKey);
    expect(response.status).toBe(404);
    expect((await errorOf(response)).message).toContain("acknowledgement");
  });

  it("rejected put keeps the stored template", async () => {
    const [firm] = await seedTwoFirms();
    await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, valid);
    await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { ...valid, text: "{{nope}}" });
    expect((await bodyOf<Template>(await getWithKey("/v1/email-templates/acknowledgement", firm.apiKey))).text).toBe(valid.text);
  });
});

describe("acknowledgement template: security", () => {
  it("each firm sees and removes only its own", async () => {
    const [firm, other] = await seedTwoFirms();
    await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, { subject: "Hartley only", text: "Hartley text", html: "<p>Hartley</p>" });

    const seenByOther = await bodyOf<Template>(await getWithKey("/v1/email-templates/acknowledgement", other.apiKey));
    expect(seenByOther.isDefault).toBe(true);
    expect(seenByOther.subject).toBe(DEFAULT_ACKNOWLEDGEMENT.subject);

    expect((await send("DELETE", "/v1/email-templates/acknowledgement", other.apiKey)).status).toBe(204);
    expect((await bodyOf<Template>(await getWithKey("/v1/email-templates/acknowledgement", firm.apiKey))).subject).toBe("Hartley only");
  });
});

describe("acknowledgement template: effect", () => {
  it("saved template is the one sent", async () => {
    const [firm, other] = await seedTwoFirms();
    await send("PUT", "/v1/email-templates/acknowledgement", firm.apiKey, {
      subject: "Your enquiry {{reference}}",
      text: "Hello {{prospect_first_name}}, a partner at {{firm_name}} will ring you today.",
      html: "<p>Hello {{prospect_first_name}}</p>",
    });

    await enquire(firm.formKey, "template", { name: "Tessa Template", email: "tessa.template@example.com" });
    await enquire(other.formKey, "template-other", { name: "Owen Other", email: "owen.template@example.com" });

    const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
    expect(acknowledgement?.status).toBe("sent");
    const rendered = (acknowledgement?.data as { rendered?: { text?: string; subject?: string } }).rendered;
    expect(rendered?.text).toBe("Hello Tessa, a partner at Hartley & Moss will ring you today.");
    expect(rendered?.subject).toMatch(/^Your enquiry ENQ-/);

    const otherAcknowledgement = (await settledMessages(other.firmId)).find((row) => row.kind === "acknowledgement_email");
    const otherRendered = (otherAcknowledgement?.data as { rendered?: { text?: string } }).rendered;
    expect(otherRendered?.text).toContain("Thank you for contacting Other Firm LLP");
  });
});

describe("members", () => {
  it("lists the firm's people", async () => {
    const [firm, other] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob", away: true }]);
    await seedPeople(other.firmId, [{ name: "Olga" }]);

    const response = await getWithKey("/v1/members", firm.apiKey);
    expect(response.status).toBe(200);
    const { data } = await bodyOf<{ data: Member[] }>(response);
    expect(data.map((member) => member.userId)).toEqual([ann, bob]);
    expect(data[0]).toMatchObject({ name: "Ann", role: "partner", awayUntil: null, away: false });
    expect(data[1]?.away).toBe(true);
  });

  it("marks a person away and back", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const until = new Date(Date.now() + 3 * 86_400_000);

    const away = await send("PATCH", `/v1/members/${ann}`, firm.apiKey, { awayUntil: until.toISOString().replace("Z", "+00:00") });
    expect(away.status).toBe(200);
    expect(await bodyOf<Member>(away)).toMatchObject({ userId: ann, awayUntil: until.toISOString(), away: true });

    const back = await send("PATCH", `/v1/members/${ann}`, firm.apiKey, { awayUntil: null });
    expect(await bodyOf<Member>(back)).toMatchObject({ awayUntil: null, away: false });

    const stored = await testDatabase()
      .select()
      .from(memberships)
      .where(and(eq(memberships.firmId, firm.firmId), eq(memberships.userId, ann!)))
      .get();
    expect(stored?.awayUntil).toBeNull();
  });

  const badBodies: Array<{ name: string; body: unknown; message: string }> = [
    { name: "date in the past", body: { awayUntil: "2020-01-01T09:00:00Z" }, message: "awayUntil is in the past" },
    { name: "date without a time", body: { awayUntil: "2030-01-01" }, message: "awayUntil must be an ISO 8601 date and time" },
    { name: "words", body: { awayUntil: "next Monday" }, message: "awayUntil must be an ISO 8601 date and time" },
    { name: "empty body", body: {}, message: "must contain role, awayUntil or both" },
    { name: "misspelt key", body: { away_until: null }, message: 'unknown field "away_until"' },
  ];
  for (const testCase of badBodies) {
    it(`rejects ${testCase.name}`, async () => {
      const [firm] = await seedTwoFirms();
      const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
      const response = await send("PATCH", `/v1/members/${ann}`, firm.apiKey, testCase.body);
      expect(response.status).toBe(422);
      expect((await validationErrorOf(response)).message).toContain(testCase.message);
    });
  }

  it("unknown person is 404", async () => {
    const [firm] = await seedTwoFirms();
    const response = await send("PATCH", "/v1/members/user_nobody", firm.apiKey, { awayUntil: null });
    expect(response.status).toBe(404);
  });

  it("another firm's person is 404 and unchanged", async () => {
    const [firm, other] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);

    const response = await send("PATCH", `/v1/members/${ann}`, other.apiKey, { awayUntil: new Date(Date.now() + 86_400_000).toISOString() });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");

    const { data } = await bodyOf<{ data: Member[] }>(await getWithKey("/v1/members", firm.apiKey));
    expect(data[0]?.away).toBe(false);
    const { data: otherData } = await bodyOf<{ data: Member[] }>(await getWithKey("/v1/members", other.apiKey));
    expect(otherData).toEqual([]);
  });

  it("marked away means skipped by routing", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }]);
    const team = await createTeam(firm, { name: "Family", memberUserIds: [ann, bob] });
    await putRules(firm, [{ serviceLine: null, teamId: team.id }]);
    await send("PATCH", `/v1/members/${bob}`, firm.apiKey, { awayUntil: new Date(Date.now() + 86_400_000).toISOString() });

    for (const i of [1, 2, 3]) await enquire(firm.formKey, `away${i}`, { name: `Away ${i}`, email: `away.${i}@example.com` });

    const owners = (await opportunitiesOf(firm.firmId)).map((row) => row.ownerUserId);
    expect(owners).toEqual([ann, ann, ann]);
  });
});

describe("settings writes stay in their firm", () => {
  it("patch leaves other firms' rows", async () => {
    const [firm, other] = await seedTwoFirms();
    await send("PATCH", "/v1/settings/follow-up", other.apiKey, { timeZone: "America/New_York", closedDates: ["2026-07-04"] });

    const row = await testDatabase().select().from(firms).where(eq(firms.id, firm.firmId)).get();
    expect(row?.timeZone).toBe("Europe/London");
    expect(row?.closedDates).toEqual([]);
  });
});

describe("stall settings", () => {
  it("stall days and close-as-lost days can be changed", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi("/v1/settings/follow-up", {
      method: "PATCH",
      headers: { authorization: `Bearer ${firm.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ stallDays: { acknowledged: 5 }, closeAsLostDays: 60 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { stallDays: Record<string, number>; closeAsLostDays: number };
    expect(body.stallDays.acknowledged).toBe(5);
    expect(body.stallDays.new).toBe(2);
    expect(body.closeAsLostDays).toBe(60);
  });

  it("stall days for a closed stage are rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi("/v1/settings/follow-up", {
      method: "PATCH",
      headers: { authorization: `Bearer ${firm.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ stallDays: { won: 5 } }),
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { field: string } }).error.field).toMatch(/^stallDays/);
  });
});
