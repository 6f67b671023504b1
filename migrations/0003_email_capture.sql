CREATE TABLE `email_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`firm_id` text NOT NULL,
	`opportunity_id` text,
	`contact_id` text,
	`direction` text NOT NULL,
	`classification` text NOT NULL,
	`matched_by` text,
	`from_email` text NOT NULL,
	`from_name` text,
	`to_emails` text NOT NULL,
	`subject` text,
	`message_id_header` text,
	`in_reply_to` text,
	`references` text NOT NULL,
	`reply_text` text,
	`body_text` text,
	`body_truncated` integer DEFAULT false NOT NULL,
	`attachments` text NOT NULL,
	`forwarded_by` text,
	`source` text NOT NULL,
	`sent_at` integer,
	`received_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`firm_id`) REFERENCES `firms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `email_messages_firm_opportunity_idx` ON `email_messages` (`firm_id`,`opportunity_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `email_messages_firm_message_id_idx` ON `email_messages` (`firm_id`,`message_id_header`);--> statement-breakpoint
ALTER TABLE `firms` ADD `email_domains` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `attention_reason` text;--> statement-breakpoint
ALTER TABLE `opportunities` ADD `attention_at` integer;--> statement-breakpoint
ALTER TABLE `outbound_messages` ADD `delivery_status` text;--> statement-breakpoint
ALTER TABLE `outbound_messages` ADD `delivery_status_at` integer;--> statement-breakpoint
CREATE INDEX `outbound_firm_message_id_idx` ON `outbound_messages` (`firm_id`,`message_id_header`);--> statement-breakpoint
CREATE INDEX `outbound_provider_message_idx` ON `outbound_messages` (`provider`,`provider_message_id`);