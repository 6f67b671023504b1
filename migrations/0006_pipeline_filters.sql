DROP INDEX `opportunities_firm_stage_idx`;--> statement-breakpoint
DROP INDEX `opportunities_firm_channel_idx`;--> statement-breakpoint
CREATE INDEX `opportunities_firm_stage_created_idx` ON `opportunities` (`firm_id`,`stage`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_owner_stage_idx` ON `opportunities` (`firm_id`,`owner_user_id`,`stage`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_service_line_stage_idx` ON `opportunities` (`firm_id`,`service_line`,`stage`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_channel_stage_idx` ON `opportunities` (`firm_id`,`channel`,`stage`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `opportunities_firm_stalled_stage_idx` ON `opportunities` (`firm_id`,`stage`,`created_at`,`id`) WHERE "opportunities"."stalled_at" is not null;--> statement-breakpoint
CREATE INDEX `opportunities_firm_channel_idx` ON `opportunities` (`firm_id`,`channel`,`created_at`,`id`);--> statement-breakpoint
DROP INDEX `tasks_firm_opportunity_idx`;--> statement-breakpoint
CREATE INDEX `tasks_firm_opportunity_idx` ON `tasks` (`firm_id`,`opportunity_id`,`status`,`due_at`,`id`);--> statement-breakpoint
DROP INDEX `outbound_firm_opportunity_idx`;--> statement-breakpoint
CREATE INDEX `outbound_firm_opportunity_idx` ON `outbound_messages` (`firm_id`,`opportunity_id`,`status`,`created_at`,`id`);