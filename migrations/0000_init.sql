CREATE TABLE `agencies` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `agency_memberships` (
	`agency_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`agency_id`, `user_id`),
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `agency_memberships_user_idx` ON `agency_memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_firm_idx` ON `api_keys` (`firm_id`);--> statement-breakpoint
CREATE TABLE `firms` (
	`id` text PRIMARY KEY NOT NULL,
	`agency_id` text,
	`name` text NOT NULL,
	`slug` text NOT NULL,
	`time_zone` text DEFAULT 'Europe/London' NOT NULL,
	`working_hours` text NOT NULL,
	`currency` text DEFAULT 'GBP' NOT NULL,
	`locale` text DEFAULT 'en-GB' NOT NULL,
	`default_phone_region` text DEFAULT 'GB' NOT NULL,
	`website_hosts` text DEFAULT '[]' NOT NULL,
	`channel_rules` text DEFAULT '[]' NOT NULL,
	`response_target_minutes` integer DEFAULT 120 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`agency_id`) REFERENCES `agencies`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `firms_slug_unique` ON `firms` (`slug`);--> statement-breakpoint
CREATE INDEX `firms_agency_idx` ON `firms` (`agency_id`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`firm_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`away_until` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`firm_id`, `user_id`),
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `memberships_user_idx` ON `memberships` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE TABLE `forms` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`allowed_origins` text NOT NULL,
	`fields` text NOT NULL,
	`service_lines` text NOT NULL,
	`thank_you_url` text,
	`submit_label` text DEFAULT 'Send enquiry' NOT NULL,
	`success_message` text NOT NULL,
	`honeypot_field` text DEFAULT 'website' NOT NULL,
	`turnstile_site_key` text,
	`turnstile_secret_encrypted` text,
	`client_rate_limit_per_hour` integer DEFAULT 10 NOT NULL,
	`form_rate_limit_per_hour` integer DEFAULT 500 NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `forms_key_unique` ON `forms` (`key`);--> statement-breakpoint
CREATE INDEX `forms_firm_idx` ON `forms` (`firm_id`);--> statement-breakpoint
CREATE TABLE `rate_limit_counters` (
	`key` text PRIMARY KEY NOT NULL,
	`count` integer NOT NULL,
	`window_start` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `submissions` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`form_id` text NOT NULL,
	`reference` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` text NOT NULL,
	`quarantine_reason` text,
	`payload` text NOT NULL,
	`contact_id` text,
	`opportunity_id` text,
	`origin` text,
	`user_agent` text,
	`client_hash` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`form_id`) REFERENCES `forms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `submissions_dedupe_unique` ON `submissions` (`form_id`,`dedupe_key`);--> statement-breakpoint
CREATE INDEX `submissions_fingerprint_idx` ON `submissions` (`form_id`,`fingerprint`,`created_at`);--> statement-breakpoint
CREATE INDEX `submissions_firm_status_idx` ON `submissions` (`firm_id`,`status`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `submissions_reference_unique` ON `submissions` (`firm_id`,`reference`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`name` text,
	`email` text,
	`email_normalised` text,
	`phone` text,
	`phone_e164` text,
	`company` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_firm_email_unique` ON `contacts` (`firm_id`,`email_normalised`);--> statement-breakpoint
CREATE INDEX `contacts_firm_phone_idx` ON `contacts` (`firm_id`,`phone_e164`);--> statement-breakpoint
CREATE INDEX `contacts_firm_created_idx` ON `contacts` (`firm_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `opportunities` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`reference` text NOT NULL,
	`stage` text NOT NULL,
	`service_line` text,
	`owner_user_id` text,
	`value_minor` integer,
	`currency` text NOT NULL,
	`origin` text NOT NULL,
	`channel` text NOT NULL,
	`last_touch_channel` text NOT NULL,
	`utm_source` text,
	`utm_medium` text,
	`utm_campaign` text,
	`referrer` text,
	`landing_page` text,
	`attribution` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`first_response_at` integer,
	`last_activity_at` integer NOT NULL,
	`stalled_at` integer,
	`stalled_reason` text,
	`closed_at` integer,
	`close_reason` text,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`owner_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `opportunities_firm_reference_unique` ON `opportunities` (`firm_id`,`reference`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_created_idx` ON `opportunities` (`firm_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_stage_idx` ON `opportunities` (`firm_id`,`stage`,`last_activity_at`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_contact_idx` ON `opportunities` (`firm_id`,`contact_id`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_channel_idx` ON `opportunities` (`firm_id`,`channel`,`created_at`);--> statement-breakpoint
CREATE TABLE `activities` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`opportunity_id` text,
	`contact_id` text,
	`type` text NOT NULL,
	`cause` text NOT NULL,
	`origin` text NOT NULL,
	`actor_user_id` text,
	`occurred_at` integer NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `activities_firm_opportunity_idx` ON `activities` (`firm_id`,`opportunity_id`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `activities_firm_contact_idx` ON `activities` (`firm_id`,`contact_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`opportunity_id` text,
	`assignee_user_id` text,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`status` text NOT NULL,
	`due_at` integer NOT NULL,
	`reminder_count` integer DEFAULT 0 NOT NULL,
	`next_reminder_at` integer,
	`completed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tasks_firm_status_due_idx` ON `tasks` (`firm_id`,`status`,`due_at`);--> statement-breakpoint
CREATE INDEX `tasks_next_reminder_idx` ON `tasks` (`next_reminder_at`);--> statement-breakpoint
CREATE INDEX `tasks_firm_opportunity_idx` ON `tasks` (`firm_id`,`opportunity_id`);--> statement-breakpoint
CREATE TABLE `outbound_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`opportunity_id` text,
	`kind` text NOT NULL,
	`channel` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`recipient` text,
	`provider` text,
	`provider_message_id` text,
	`message_id_header` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`data` text NOT NULL,
	`queued_at` integer,
	`next_attempt_at` integer,
	`sent_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `outbound_status_queued_idx` ON `outbound_messages` (`status`,`queued_at`);--> statement-breakpoint
CREATE INDEX `outbound_firm_status_idx` ON `outbound_messages` (`firm_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `outbound_firm_opportunity_idx` ON `outbound_messages` (`firm_id`,`opportunity_id`);--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text,
	`provider` text NOT NULL,
	`provider_event_id` text NOT NULL,
	`event_type` text,
	`headers` text NOT NULL,
	`body` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`received_at` integer NOT NULL,
	`processed_at` integer,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_provider_event_unique` ON `webhook_events` (`provider`,`provider_event_id`);--> statement-breakpoint
CREATE INDEX `webhook_events_firm_received_idx` ON `webhook_events` (`firm_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `webhook_events_status_idx` ON `webhook_events` (`status`,`received_at`);