// Drives the webhooks API of the official SDK (@google/genai) against a base URL (the geminihooks emulator in tests).
// Usage: node sdk-webhooks.mjs <command> < request.json > answer.json
// Every request carries { baseUrl, apiKey }; the SDK sends the key as x-goog-api-key.
import { GoogleGenAI } from "@google/genai";

const client = ({ baseUrl, apiKey }) => new GoogleGenAI({ apiKey, httpOptions: { baseUrl } });

const commands = {
  async create(req) {
    return client(req).webhooks.create({ uri: req.uri, subscribed_events: req.subscribed_events, name: req.name });
  },
  async list(req) {
    return client(req).webhooks.list({ page_size: req.page_size, page_token: req.page_token });
  },
  // Follows next_page_token with the given page size; answers every webhook and the number of pages.
  async "list-all"(req) {
    const ai = client(req);
    const webhooks = [];
    let pages = 0;
    let page_token;
    do {
      const page = await ai.webhooks.list({ page_size: req.page_size, page_token });
      webhooks.push(...(page.webhooks ?? []));
      page_token = page.next_page_token;
      pages++;
    } while (page_token);
    return { webhooks, pages };
  },
  async get(req) {
    return client(req).webhooks.get(req.id);
  },
  async update(req) {
    return client(req).webhooks.update(req.id, { ...req.changes, update_mask: req.update_mask });
  },
  async ping(req) {
    return client(req).webhooks.ping(req.id);
  },
  async rotate(req) {
    return client(req).webhooks.rotateSigningSecret(req.id, { revocation_behavior: req.revocation_behavior });
  },
  async delete(req) {
    return client(req).webhooks.delete(req.id);
  },
};

const [command] = process.argv.slice(2);
const handler = commands[command];
if (!handler) {
  console.error(`unknown command ${command}; known: ${Object.keys(commands).join(", ")}`);
  process.exit(2);
}
let input = "";
for await (const chunk of process.stdin) input += chunk;
try {
  process.stdout.write(JSON.stringify((await handler(JSON.parse(input || "{}"))) ?? {}));
} catch (e) {
  // Errors are answers too (e.g. 404 after delete): status and message for the test to assert on.
  process.stdout.write(JSON.stringify({ error: { status: e.status ?? e.statusCode ?? null, message: String(e.message ?? e) } }));
}
