// `npm start`: the API at http://localhost:8787 with a migrated, seeded local D1, the dashboard at
// http://localhost:5173 and the demo firm's website. The dashboard is rebuilt only when its sources changed.
import { startLocalStack } from "./local-stack.mjs";

// wrangler's start-up banners are kept back, and printed only if start-up fails, so the summary below stays readable.
const stack = await startLocalStack({ apiPort: 8787, dashboardPort: 5173, demoPort: 4321, demoHistory: true, quiet: true, progress: true });

console.log(`
Plumbline is running locally.

  Dashboard        ${stack.dashboardUrl}/
  Sign in as       partner@hartley-moss.example  (a partner at Hartley & Moss Solicitors)
              or   admin@northgate.example       (the agency admin, who sees both demo firms)
  Sign-in links    arrive in the local outbox at ${stack.apiUrl}/dev/outbox
  API              ${stack.apiUrl}  (API key pl_test_demo)
  Demo website     ${stack.demoUrl}/contact.html  (sends enquiries to the demo firm)

Press Ctrl+C to stop. Request logs and errors follow.
`);
stack.followOutput();

const shutdown = async () => {
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
