// `npm start`: the API at http://localhost:8787 with a migrated, seeded local D1, the dashboard at
// http://localhost:5173 and the demo firm's website.
import { startLocalStack } from "./local-stack.mjs";

const stack = await startLocalStack({ apiPort: 8787, dashboardPort: 5173, demoPort: 4321, demoHistory: true });

console.log(`
Plumbline is running locally.

  Dashboard                ${stack.dashboardUrl}/  (sign in as partner@hartley-moss.example)
  API                      ${stack.apiUrl}
  Local outbox             ${stack.apiUrl}/dev/outbox  (sign-in links and other emails land here)
  Demo firm's website      ${stack.demoUrl}/  (contact form: ${stack.demoUrl}/contact.html)
  Form key                 demo
  API key (local only)     pl_test_demo
  Cron                     ${stack.apiUrl}/__scheduled runs the once-a-minute sweep now

Try:  curl -H "Authorization: Bearer pl_test_demo" ${stack.apiUrl}/v1/opportunities

Press Ctrl+C to stop.
`);

const shutdown = async () => {
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
