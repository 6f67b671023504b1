import { fail, type RequestEvent } from "@sveltejs/kit";
import { sendChange } from "./api-errors";
import { field } from "./form-data";

type Event = Pick<RequestEvent, "cookies" | "url" | "locals" | "request">;

/** Completes the task named in the form's `taskId` field; shared by the tasks list and the opportunity page. */
export async function completeTaskAction(event: Event) {
  const taskId = field(await event.request.formData(), "taskId");
  if (taskId === "") return fail(400, { form: "task", message: "No task was chosen.", fieldErrors: {} });
  const result = await sendChange(event, "POST", `/v1/tasks/${encodeURIComponent(taskId)}/complete`, undefined, { form: "task" });
  if (!result.ok) return result.failure;
  return { form: "task", saved: "Task completed." };
}

/** Puts the failed message named in the form's `messageId` field back on the queue. */
export async function retryMessageAction(event: Event) {
  const messageId = field(await event.request.formData(), "messageId");
  if (messageId === "") return fail(400, { form: "delivery", message: "No message was chosen.", fieldErrors: {} });
  const result = await sendChange(event, "POST", `/v1/outbound-messages/${encodeURIComponent(messageId)}/retry`, undefined, { form: "delivery" });
  if (!result.ok) return result.failure;
  return { form: "delivery", saved: "The message is queued to be sent again." };
}
