// The official JavaScript SDK (@google/genai, Node >= 22) reading jobs back from the geminihooks emulator: what
// reconciliation polls must parse in the SDK too. It only talks to a loopback address (the emulator), never to Google.
//
// Usage: node sdk-jobs.mjs --base-url http://127.0.0.1:8787 --api-key local-test
//
// Steps: create two batches, finish one (its webhook dropped), get both, list them a page at a time; create an
// interaction with a user_metadata-only webhook_config, fail it, and read it back by its bare id. Progress goes to
// stderr; a JSON report (names and the states the SDK read) to stdout. Exit code: 0 when every check passed, 1 when one
// failed, 2 for a usage error.
import { GoogleGenAI } from "@google/genai";

function usage(message) {
  console.error(`sdk-jobs: ${message}`);
  process.exit(2);
}

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  if (!["--base-url", "--api-key"].includes(argv[i]) || i + 1 >= argv.length) usage(`bad argument ${argv[i]}`);
  args[argv[i].slice(2)] = argv[i + 1];
}
if (!args["base-url"] || !args["api-key"]) usage("--base-url and --api-key are required");
const base = new URL(args["base-url"]);
if (!(base.hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(base.hostname))) usage("--base-url must be a loopback address");

const ai = new GoogleGenAI({ apiKey: args["api-key"], httpOptions: { baseUrl: base.origin, apiVersion: "v1beta" } });
const failures = [];
function check(condition, what) {
  console.error(`${condition ? "ok  " : "FAIL"} ${what}`);
  if (!condition) failures.push(what);
}

const src = [{ contents: [{ role: "user", parts: [{ text: "hello" }] }] }];
const running = await ai.batches.create({ model: "gemini-2.5-flash", src, config: { displayName: "running" } });
const finished = await ai.batches.create({ model: "gemini-2.5-flash", src, config: { displayName: "finished" } });
check(typeof running.name === "string" && running.name.startsWith("batches/"), `create answers a batch name (${running.name})`);

const finish = await fetch(`${base.origin}/emulator/jobs/finish`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ name: finished.name, webhook: "drop" }),
});
check(finish.ok, "the emulator finished the second batch");

const readRunning = await ai.batches.get({ name: running.name });
const readFinished = await ai.batches.get({ name: finished.name });
check(readRunning.state === "JOB_STATE_RUNNING", `a running batch reads as running (${readRunning.state})`);
check(readFinished.state === "JOB_STATE_SUCCEEDED", `a finished batch reads as succeeded (${readFinished.state})`);
check(typeof readFinished.endTime === "string", `a finished batch has an end time (${readFinished.endTime})`);

const listed = [];
const pager = await ai.batches.list({ config: { pageSize: 1 } });
for await (const batch of pager) listed.push(batch.name);
check(listed.includes(running.name) && listed.includes(finished.name), `the list, a page at a time, has both (${listed.length})`);

// Interactions are named by a bare id (v1_…); a webhook_config may carry user_metadata alone.
const interaction = await ai.interactions.create({
  model: "gemini-2.5-flash", input: "Summarise the report.", background: true, webhook_config: { user_metadata: { run: "7" } },
});
check(/^v1_[A-Za-z0-9_-]+$/.test(interaction.id ?? ""), `create answers a bare interaction id (${interaction.id})`);
const failInteraction = await fetch(`${base.origin}/emulator/jobs/finish`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ name: interaction.id, type: "interaction.failed", webhook: "drop" }),
});
check(failInteraction.ok, "the emulator failed the interaction by its bare id");
const readInteraction = await ai.interactions.get(interaction.id);
check(readInteraction.id === interaction.id, `the interaction reads back under the same id (${readInteraction.id})`);
check(readInteraction.status === "failed", `the failed interaction reads as failed (${readInteraction.status})`);
check(typeof readInteraction.errors?.[0]?.message === "string", "the failed interaction carries errors[].message");

console.log(JSON.stringify({ running: readRunning.state, finished: readFinished.state, listed,
  interaction: { id: readInteraction.id, status: readInteraction.status }, failures }));
console.error(failures.length === 0 ? "all checks passed" : `${failures.length} check(s) failed`);
process.exit(failures.length === 0 ? 0 : 1);
