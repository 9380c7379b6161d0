// Mints GeminiHooks binding tokens with node:crypto alone, from the format documented in docs/dynamic-webhooks.md,
// so the .NET tests prove that another implementation following the text interoperates.
// Usage: node binding-token.mjs < {"key":"whsec_...","expiry":1790000000} > {"token":"gh1...."}
import { createHmac, randomBytes } from "node:crypto";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { key, expiry } = JSON.parse(input);
const secret = Buffer.from(key.startsWith("whsec_") ? key.slice("whsec_".length) : key, "base64");
const nonce = randomBytes(16).toString("base64url");
const signed = `gh1.${expiry}.${nonce}`;
const mac = createHmac("sha256", secret).update(Buffer.from(signed, "ascii")).digest("base64url");
process.stdout.write(JSON.stringify({ token: `${signed}.${mac}` }));
