CREATE TABLE `email_suppressions` (
	`firm_id` text NOT NULL,
	`email_normalised` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_suppressions_firm_email_unique` ON `email_suppressions` (`firm_id`,`email_normalised`);--> statement-breakpoint
CREATE TABLE `email_templates` (
	`firm_id` text NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`text` text NOT NULL,
	`html` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`firm_id`, `kind`),
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `integrations` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`kind` text NOT NULL,
	`provider` text NOT NULL,
	`name` text NOT NULL,
	`settings` text NOT NULL,
	`secret_encrypted` text NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`status_reason` text,
	`next_send_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `integrations_firm_kind_idx` ON `integrations` (`firm_id`,`kind`);--> statement-breakpoint
CREATE TABLE `routing_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`position` integer NOT NULL,
	`service_line` text,
	`target_user_id` text,
	`target_team_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `routing_rules_firm_position_idx` ON `routing_rules` (`firm_id`,`position`);--> statement-breakpoint
CREATE TABLE `team_members` (
	`firm_id` text NOT NULL,
	`team_id` text NOT NULL,
	`user_id` text NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`team_id`, `user_id`),
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `team_members_firm_team_idx` ON `team_members` (`firm_id`,`team_id`,`position`);--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`name` text NOT NULL,
	`chat_integration_id` text,
	`round_robin_counter` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `teams_firm_idx` ON `teams` (`firm_id`);--> statement-breakpoint
ALTER TABLE `firms` ADD `closed_dates` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `firms` ADD `fallback_owner_user_id` text;--> statement-breakpoint
ALTER TABLE `firms` ADD `escalation_user_id` text;--> statement-breakpoint
ALTER TABLE `firms` ADD `reminder_interval_minutes` integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE `firms` ADD `reminders_before_escalation` integer DEFAULT 2 NOT NULL;--> statement-breakpoint
ALTER TABLE `firms` ADD `sender_email` text;--> statement-breakpoint
ALTER TABLE `firms` ADD `sender_name` text;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `reply_token` text;--> statement-breakpoint
CREATE UNIQUE INDEX `opportunities_reply_token_unique` ON `opportunities` (`reply_token`);--> statement-breakpoint
ALTER TABLE `outbound_messages` ADD `integration_id` text;--> statement-breakpoint
CREATE INDEX `outbound_firm_recipient_idx` ON `outbound_messages` (`firm_id`,`recipient`,`created_at`);--> statement-breakpoint
CREATE INDEX `outbound_integration_status_idx` ON `outbound_messages` (`integration_id`,`status`,`created_at`);