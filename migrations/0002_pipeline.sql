CREATE TABLE `meetings` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`opportunity_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`provider` text NOT NULL,
	`meeting_key` text NOT NULL,
	`previous_meeting_key` text,
	`status` text NOT NULL,
	`starts_at` integer,
	`ends_at` integer,
	`title` text,
	`location` text,
	`host_email` text,
	`cancellation_reason` text,
	`last_event_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `meetings_firm_provider_key_unique` ON `meetings` (`firm_id`,`provider`,`meeting_key`);--> statement-breakpoint
CREATE INDEX `meetings_firm_previous_key_idx` ON `meetings` (`firm_id`,`provider`,`previous_meeting_key`);--> statement-breakpoint
CREATE INDEX `meetings_firm_opportunity_idx` ON `meetings` (`firm_id`,`opportunity_id`,`starts_at`);--> statement-breakpoint
ALTER TABLE `firms` ADD `stall_days` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `firms` ADD `close_as_lost_days` integer DEFAULT 45 NOT NULL;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `stage_entered_at` integer;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `stage_override` text;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `stage_before_meeting` text;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `last_prospect_activity_at` integer;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `next_stall_check_at` integer;--> statement-breakpoint
CREATE INDEX `opportunities_next_stall_check_idx` ON `opportunities` (`next_stall_check_at`);