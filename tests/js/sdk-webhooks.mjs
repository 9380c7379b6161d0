// The official JavaScript SDK (@google/genai, Node >= 22) managing webhooks on the geminihooks emulator, with a check
// after every call. It only talks to a loopback address (the emulator), never to Google.
//
// Usage:
//   node sdk-webhooks.mjs --base-url http://127.0.0.1:8787 --api-key local-test \
//        --receiver-uri http://127.0.0.1:8080/webhooks/gemini [--api-version v1|v1beta]
//
// Without --api-version the SDK uses its default (v1 for @google/genai 3.1). Steps: create two webhooks, list them a
// page at a time, get, update (update_mask), ping, rotate keeping the previous secret for 24 hours, ping again, rotate
// revoking at once, delete both. Progress goes to stderr; a JSON report (ids, the secrets the emulator issued, the
// pings' delivery ids) to stdout. Exit code: 0 when every check passed, 1 when one failed, 2 for a usage error.
import { GoogleGenAI } from "@google/genai";

function usage(message) {
  console.error(`sdk-webhooks: ${message}`);
  console.error("usage: node sdk-webhooks.mjs --base-url http://127.0.0.1:<port> --api-key <key> --receiver-uri <url> [--api-version v1|v1beta]");
  process.exit(2);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (!["--base-url", "--api-key", "--api-version", "--receiver-uri"].includes(name)) usage(`unknown argument ${name}`);
    if (i + 1 >= argv.length) usage(`${name} needs a value`);
    args[name.slice(2)] = argv[++i];
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
if (!args["base-url"]) usage("--base-url is required");
if (!args["api-key"]) usage("--api-key is required (any non-empty value works against the emulator)");
if (!args["receiver-uri"]) usage("--receiver-uri is required (where the emulator should deliver the pings)");
if (args["api-version"] !== undefined && !["v1", "v1beta"].includes(args["api-version"])) usage("--api-version must be v1 or v1beta");

let base;
try {
  base = new URL(args["base-url"]);
} catch {
  usage(`--base-url ${args["base-url"]} is not a URL`);
}
// This script creates, rotates and deletes webhooks: it must never run against a real Gemini project.
const host = base.hostname.replace(/^\[|\]$/g, "");
if (!(host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host))) {
  usage(`--base-url must be a loopback address (127.0.0.1, ::1, localhost), not ${base.hostname}: this script only drives the emulator`);
}

const apiVersion = args["api-version"];
const ai = new GoogleGenAI({
  apiKey: args["api-key"],
  httpOptions: apiVersion ? { baseUrl: base.origin, apiVersion } : { baseUrl: base.origin },
});
const receiverUri = args["receiver-uri"];
const failures = [];

function check(condition, what) {
  console.error(`${condition ? "ok  " : "FAIL"} ${what}`);
  if (!condition) failures.push(what);
}

async function step(what, call) {
  try {
    return await call();
  } catch (e) {
    check(false, `${what}: ${e.status ?? e.statusCode ?? ""} ${e.message ?? e}`);
    return undefined;
  }
}

async function statusOf(call) {
  try {
    await call();
    return 200;
  } catch (e) {
    return e.status ?? e.statusCode ?? null;
  }
}

// The emulator's own record of a webhook's deliveries (not part of Gemini's API): waits until a delivery not seen
// before was attempted at least once, so the caller knows the ping reached the receiver's URI.
async function awaitDelivery(webhookId, knownIds) {
  for (let i = 0; i < 150; i++) {
    const answer = await fetch(new URL("/emulator/deliveries", base.origin));
    if (!answer.ok) return undefined;
    const { deliveries } = await answer.json();
    const delivery = deliveries.find((d) => d.webhook === webhookId && !knownIds.includes(d.id));
    if (delivery && delivery.attempts.length > 0) return delivery;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

const report = { api_version: apiVersion ?? "sdk default", pings: [] };

function finish() {
  report.failures = failures;
  process.stdout.write(JSON.stringify(report) + "\n");
  console.error(failures.length === 0 ? "all checks passed" : `${failures.length} check(s) failed`);
  process.exit(failures.length === 0 ? 0 : 1);
}

const created = await step("create", () =>
  ai.webhooks.create({ uri: receiverUri, subscribed_events: ["batch.succeeded", "batch.failed"], name: "sdk-hook" }));
check(typeof created?.id === "string" && created.id.length > 0, "create answers an id");
check(created?.new_signing_secret?.startsWith("whsec_"), "create answers the new signing secret once");
check(created?.state === "enabled", "a new webhook is enabled");
check(JSON.stringify(created?.subscribed_events) === JSON.stringify(["batch.succeeded", "batch.failed"]), "create keeps subscribed_events");
const id = created?.id;
report.webhook_id = id;
if (!id) finish(); // nothing else can be checked without a webhook
report.created_secret = created?.new_signing_secret;

const other = await step("create a second webhook", () =>
  ai.webhooks.create({ uri: receiverUri, subscribed_events: ["video.generated"] }));
report.other_webhook_id = other?.id;

const listed = [];
let pages = 0;
let pageToken;
do {
  const page = await step("list", () => ai.webhooks.list({ page_size: 1, page_token: pageToken }));
  if (!page) break;
  listed.push(...(page.webhooks ?? []));
  pageToken = page.next_page_token;
  pages++;
} while (pageToken && pages < 100);
check(pages >= 2, `list with page_size 1 follows next_page_token (${pages} pages)`);
check(listed.some((w) => w.id === id) && listed.some((w) => w.id === other?.id), "both webhooks are listed");
check(listed.every((w) => w.new_signing_secret === undefined), "list never shows a full secret");

const got = await step("get", () => ai.webhooks.get(id));
check(got?.name === "sdk-hook" && got?.uri === receiverUri, "get answers the webhook");
check(got?.new_signing_secret === undefined, "get does not show the secret again");
check(got?.signing_secrets?.length === 1, "one signing secret before any rotation");

const updated = await step("update", () =>
  ai.webhooks.update(id, { name: "renamed", uri: "http://127.0.0.1:9/ignored", update_mask: "name" }));
check(updated?.name === "renamed", "update changes the field named in update_mask");
check(updated?.uri === receiverUri, "update leaves the fields outside update_mask alone");

const seen = [];
async function ping(label) {
  const answered = await step(`ping (${label})`, () => ai.webhooks.ping(id));
  check(answered !== undefined, `ping (${label}) is accepted`);
  const delivery = await awaitDelivery(id, seen);
  check(delivery !== undefined, `the emulator made the ping (${label}) delivery within 15 s`);
  if (delivery) {
    seen.push(delivery.id);
    const first = delivery.attempts[0];
    check(first.status !== null, `ping (${label}) reached ${receiverUri} (answered ${first.status ?? first.error})`);
    report.pings.push({ label, delivery_id: delivery.id, first_status: first.status });
  }
}
await ping("first secret");

const rotated = await step("rotate after 24 hours", () =>
  ai.webhooks.rotateSigningSecret(id, { revocation_behavior: "revoke_previous_secrets_after_h24" }));
check(rotated?.secret?.startsWith("whsec_") && rotated.secret !== report.created_secret, "rotate answers a new secret");
report.rotated_secret = rotated?.secret;
const overlap = await step("get after rotation", () => ai.webhooks.get(id));
check(overlap?.signing_secrets?.length === 2, "during the 24 hours both secrets are listed");
check(overlap?.signing_secrets?.filter((s) => s.expire_time).length === 1, "the previous secret has an expire_time");
await ping("both secrets");

const revoked = await step("rotate immediately", () =>
  ai.webhooks.rotateSigningSecret(id, { revocation_behavior: "revoke_previous_secrets_immediately" }));
check(revoked?.secret?.startsWith("whsec_"), "rotate immediately answers a new secret");
report.revoked_secret = revoked?.secret;
const after = await step("get after immediate rotation", () => ai.webhooks.get(id));
check(after?.signing_secrets?.length === 1, "after an immediate rotation only the newest secret is left");

await step("delete", () => ai.webhooks.delete(id));
await step("delete the second webhook", () => ai.webhooks.delete(other?.id));
check((await statusOf(() => ai.webhooks.get(id))) === 404, "a deleted webhook is gone (404)");
const remaining = await step("list after delete", () => ai.webhooks.list({}));
check(!(remaining?.webhooks ?? []).some((w) => w.id === id || w.id === other?.id), "deleted webhooks are no longer listed");

finish();
