-- Demo firm for local development only: `npm start` applies this after the migrations.
-- The API key pl_test_demo is stored as its SHA-256 hash like any other key; it never exists in production.
-- Every statement is an upsert, so re-running the seed refreshes the demo settings and keeps captured data.

-- The demo agency owns both demo firms, so its admin can switch between them and create more.
INSERT INTO agencies (id, name, created_at)
VALUES ('agency_demo', 'Northgate Digital', unixepoch('now') * 1000)
ON CONFLICT (id) DO UPDATE SET name = excluded.name;

INSERT INTO firms (id, agency_id, name, slug, time_zone, working_hours, currency, locale, default_phone_region,
                   website_hosts, channel_rules, response_target_minutes, created_at, updated_at)
VALUES ('firm_demo', 'agency_demo', 'Hartley & Moss Solicitors', 'hartley-moss', 'Europe/London',
        '[{"day":1,"start":"09:00","end":"17:30"},{"day":2,"start":"09:00","end":"17:30"},{"day":3,"start":"09:00","end":"17:30"},{"day":4,"start":"09:00","end":"17:30"},{"day":5,"start":"09:00","end":"17:00"}]',
        'GBP', 'en-GB', 'GB', '["localhost","127.0.0.1"]',
        '[{"channel":"Law Society directory","referrerHost":"solicitors.lawsociety.org.uk"}]', 120,
        unixepoch('now') * 1000, unixepoch('now') * 1000)
ON CONFLICT (id) DO UPDATE SET agency_id = excluded.agency_id, name = excluded.name, working_hours = excluded.working_hours,
  website_hosts = excluded.website_hosts, channel_rules = excluded.channel_rules, updated_at = excluded.updated_at;

INSERT INTO firms (id, agency_id, name, slug, time_zone, working_hours, currency, locale, default_phone_region,
                   website_hosts, channel_rules, response_target_minutes, created_at, updated_at)
VALUES ('firm_demo_ashworth', 'agency_demo', 'Ashworth Lane Accountants', 'ashworth-lane', 'Europe/London',
        '[{"day":1,"start":"09:00","end":"17:30"},{"day":2,"start":"09:00","end":"17:30"},{"day":3,"start":"09:00","end":"17:30"},{"day":4,"start":"09:00","end":"17:30"},{"day":5,"start":"09:00","end":"17:30"}]',
        'GBP', 'en-GB', 'GB', '[]', '[]', 240, unixepoch('now') * 1000, unixepoch('now') * 1000)
ON CONFLICT (id) DO UPDATE SET agency_id = excluded.agency_id, name = excluded.name, updated_at = excluded.updated_at;

-- Sign in locally as either person: ask for a link on the dashboard and open it from /dev/outbox on the API.
INSERT INTO users (id, email, name, created_at)
VALUES ('user_demo_partner', 'partner@hartley-moss.example', 'Eleanor Hartley', unixepoch('now') * 1000),
       ('user_demo_agency_admin', 'admin@northgate.example', 'Sam Okafor', unixepoch('now') * 1000)
ON CONFLICT (id) DO UPDATE SET email = excluded.email;

INSERT INTO memberships (firm_id, user_id, role, away_until, created_at)
VALUES ('firm_demo', 'user_demo_partner', 'partner', NULL, unixepoch('now') * 1000)
ON CONFLICT (firm_id, user_id) DO UPDATE SET role = excluded.role;

-- The partner owns every enquiry no routing rule gives to someone else, as in the demo history. Set only while the
-- firm has no fallback owner, so a choice made later in the settings survives the next `npm start`.
UPDATE firms SET fallback_owner_user_id = 'user_demo_partner'
WHERE id = 'firm_demo' AND fallback_owner_user_id IS NULL;

-- Two routing rules to show both kinds of target: wills and probate straight to the partner, family law to a team
-- that hands enquiries out in turn. They are added only while the firm has no rules of its own, so rules saved
-- later through the routing settings are never doubled or overwritten.
INSERT INTO teams (id, firm_id, name, chat_integration_id, round_robin_counter, created_at)
VALUES ('team_demo_family', 'firm_demo', 'Family team', NULL, 0, unixepoch('now') * 1000)
ON CONFLICT (id) DO NOTHING;

INSERT INTO team_members (firm_id, team_id, user_id, position)
VALUES ('firm_demo', 'team_demo_family', 'user_demo_partner', 0)
ON CONFLICT (team_id, user_id) DO NOTHING;

INSERT INTO routing_rules (id, firm_id, position, service_line, target_user_id, target_team_id, created_at)
SELECT id, 'firm_demo', position, service_line, target_user_id, target_team_id, unixepoch('now') * 1000
FROM (SELECT 'rule_demo_private_client' AS id, 1 AS position, 'Private client' AS service_line,
             'user_demo_partner' AS target_user_id, NULL AS target_team_id
      UNION ALL
      SELECT 'rule_demo_family', 2, 'Family', NULL, 'team_demo_family')
WHERE NOT EXISTS (SELECT 1 FROM routing_rules
                  WHERE firm_id = 'firm_demo' AND id NOT IN ('rule_demo_private_client', 'rule_demo_family'))
ON CONFLICT (id) DO NOTHING;

INSERT INTO agency_memberships (agency_id, user_id, role, created_at)
VALUES ('agency_demo', 'user_demo_agency_admin', 'admin', unixepoch('now') * 1000)
ON CONFLICT (agency_id, user_id) DO UPDATE SET role = excluded.role;

INSERT INTO forms (id, firm_id, key, name, allowed_origins, fields, service_lines, thank_you_url, submit_label,
                   success_message, honeypot_field, turnstile_site_key, turnstile_secret_encrypted,
                   client_rate_limit_per_hour, form_rate_limit_per_hour, archived_at, created_at, updated_at)
VALUES ('form_demo', 'firm_demo', 'demo', 'Website contact form',
        '["http://localhost:*","http://127.0.0.1:*","http://[::1]:*"]',
        '[{"name":"name","label":"Full name","type":"text","required":true,"autocomplete":"name"},
          {"name":"email","label":"Email address","type":"email","required":false,"autocomplete":"email"},
          {"name":"phone","label":"Phone number","type":"tel","required":false,"autocomplete":"tel"},
          {"name":"service","label":"How can we help?","type":"select","required":false,"options":[
            {"value":"family","label":"Family law"},{"value":"conveyancing","label":"Conveyancing"},
            {"value":"employment","label":"Employment law"},{"value":"wills-probate","label":"Wills and probate"}]},
          {"name":"message","label":"Your message","type":"textarea","required":false}]',
        '{"field":"service","values":{"family":"Family","conveyancing":"Property","employment":"Employment","wills-probate":"Private client"},"fallback":"General"}',
        NULL, 'Send enquiry', 'Thank you. A solicitor will reply within two working hours.',
        '_pl_hp', NULL, NULL, 200, 2000, NULL, unixepoch('now') * 1000, unixepoch('now') * 1000)
ON CONFLICT (id) DO UPDATE SET allowed_origins = excluded.allowed_origins, fields = excluded.fields,
  honeypot_field = excluded.honeypot_field, client_rate_limit_per_hour = excluded.client_rate_limit_per_hour,
  form_rate_limit_per_hour = excluded.form_rate_limit_per_hour,
  service_lines = excluded.service_lines, success_message = excluded.success_message, updated_at = excluded.updated_at;

INSERT INTO forms (id, firm_id, key, name, allowed_origins, fields, service_lines, thank_you_url, submit_label,
                   success_message, honeypot_field, turnstile_site_key, turnstile_secret_encrypted,
                   client_rate_limit_per_hour, form_rate_limit_per_hour, archived_at, created_at, updated_at)
VALUES ('form_demo_ashworth', 'firm_demo_ashworth', 'demo-ashworth', 'Website contact form',
        '["http://localhost:*","http://127.0.0.1:*"]',
        '[{"name":"name","label":"Full name","type":"text","required":true,"autocomplete":"name"},
          {"name":"email","label":"Email address","type":"email","required":false,"autocomplete":"email"},
          {"name":"message","label":"Your message","type":"textarea","required":false}]',
        '{"field":null,"values":{},"fallback":"General"}',
        NULL, 'Send enquiry', 'Thank you. We will reply within one working day.',
        '_pl_hp', NULL, NULL, 200, 2000, NULL, unixepoch('now') * 1000, unixepoch('now') * 1000)
ON CONFLICT (id) DO NOTHING;

INSERT INTO api_keys (id, firm_id, name, prefix, key_hash, created_at, last_used_at, revoked_at)
VALUES ('key_demo', 'firm_demo', 'Local demo key', 'pl_test_demo',
        'd44ec224e485538f4f27a1d138201ce07f27a0d0afb309568c7a1d423f12fa08', unixepoch('now') * 1000, NULL, NULL)
ON CONFLICT (id) DO NOTHING;
