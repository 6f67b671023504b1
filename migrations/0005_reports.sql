CREATE TABLE `opportunity_touches` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`opportunity_id` text NOT NULL,
	`kind` text NOT NULL,
	`channel` text NOT NULL,
	`campaign` text,
	`occurred_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`opportunity_id`) REFERENCES `opportunities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `opportunity_touches_firm_opportunity_idx` ON `opportunity_touches` (`firm_id`,`opportunity_id`,`occurred_at`);--> statement-breakpoint
ALTER TABLE `opportunities` ADD `enquiry_date` text;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `first_response_minutes` integer;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `first_response_working_minutes` integer;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `first_meeting_at` integer;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `evidence_changes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `manual_changes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `opportunities_firm_enquiry_date_idx` ON `opportunities` (`firm_id`,`enquiry_date`,`channel`,`utm_campaign`,`service_line`,`owner_user_id`,`stage`,`value_minor`,`first_meeting_at`,`first_response_minutes`,`first_response_working_minutes`,`evidence_changes`,`manual_changes`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_open_stage_idx` ON `opportunities` (`firm_id`,`stage`,`created_at`,`stalled_at`,`value_minor`,`owner_user_id`,`service_line`,`channel`) WHERE "opportunities"."closed_at" is null;--> statement-breakpoint
CREATE INDEX `opportunities_firm_closed_idx` ON `opportunities` (`firm_id`,`closed_at`);--> statement-breakpoint
-- Hand-written backfill: opportunities captured before this migration get the enquiry date and one enquiry touch
-- that reports read. SQLite has no time zones, so the date is the UTC date; it differs from the firm's local date
-- only for enquiries within an hour or two of midnight.
UPDATE `opportunities` SET `enquiry_date` = date(`created_at` / 1000, 'unixepoch') WHERE `enquiry_date` IS NULL;--> statement-breakpoint
INSERT OR IGNORE INTO `opportunity_touches` (`id`, `firm_id`, `opportunity_id`, `kind`, `channel`, `campaign`, `occurred_at`, `created_at`)
SELECT 'backfill_' || `id`, `firm_id`, `id`, 'enquiry', `channel`, `utm_campaign`, `created_at`, `created_at` FROM `opportunities`
WHERE NOT EXISTS (SELECT 1 FROM `opportunity_touches` t WHERE t.`opportunity_id` = `opportunities`.`id`);
