// Signs and verifies with libraries that share no code with GeminiHooks, so the .NET tests can prove
// interoperability. Usage: node signer.mjs <command> < request.json > answer.json
import { Webhook } from "standardwebhooks";
import * as jose from "jose";
import { HTTP } from "cloudevents";
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from "node:crypto";

const commands = {
  // Standard Webhooks v1 signature by the npm reference library.
  async "sign-static"({ secret, id, timestamp, body }) {
    return { signature: new Webhook(secret).sign(id, new Date(timestamp * 1000), body) };
  },
  // Verification by the npm reference library; answers { ok } or { ok: false, error }.
  async "verify-static"({ secret, headers, body }) {
    try {
      new Webhook(secret).verify(body, headers);
      return { ok: true };
    } catch (e) {
      return { ok: false, error: String(e.message ?? e) };
    }
  },
  // Reads a POST as a CloudEvent with the CNCF SDK's HTTP binding, which validates it (structured or binary mode).
  async "parse-cloudevent"({ headers, body }) {
    const event = HTTP.toEvent({ headers, body });
    return { specversion: event.specversion, id: event.id, source: event.source, type: event.type,
      time: event.time, datacontenttype: event.datacontenttype, usermetadata: event.usermetadata ?? null, data: event.data };
  },
  // Key pairs as JWKs: { alg: "RS256" | "EdDSA", kid }.
  async "generate-key"({ alg, kid }) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true, crv: "Ed25519" });
    const pub = { ...(await jose.exportJWK(publicKey)), kid, alg, use: "sig" };
    const priv = { ...(await jose.exportJWK(privateKey)), kid, alg, use: "sig" };
    return { public: pub, private: priv };
  },
  // A JWT signed by jose. header may override alg/kid (for attacks such as alg=none).
  async "sign-jwt"({ privateJwk, header, claims }) {
    const key = await jose.importJWK(privateJwk, header.alg);
    return { token: await new jose.SignJWT(claims).setProtectedHeader(header).sign(key) };
  },
  // An HS256 JWT keyed with arbitrary bytes (the "public key as HMAC secret" attack).
  async "sign-jwt-hmac"({ secretUtf8, header, claims }) {
    const key = new TextEncoder().encode(secretUtf8);
    return { token: await new jose.SignJWT(claims).setProtectedHeader(header).sign(key) };
  },
  // Verifies a JWT against a JWKS document with jose.
  async "verify-jwt"({ token, jwks, audience, issuer }) {
    try {
      const { payload, protectedHeader } = await jose.jwtVerify(token, jose.createLocalJWKSet(jwks), { audience, issuer });
      return { ok: true, payload, header: protectedHeader };
    } catch (e) {
      return { ok: false, error: String(e.code ?? e.message ?? e) };
    }
  },
  // Standard Webhooks v1a: Ed25519 over "{id}.{timestamp}.{body}" by node:crypto (OpenSSL).
  async "sign-v1a"({ privateJwk, id, timestamp, body }) {
    const key = createPrivateKey({ key: privateJwk, format: "jwk" });
    const signature = cryptoSign(null, Buffer.from(`${id}.${timestamp}.${body}`, "utf8"), key);
    return { signature: `v1a,${signature.toString("base64")}` };
  },
  // Standard Webhooks v1a verification by node:crypto: any v1a entry of the header valid for the public JWK.
  async "verify-v1a"({ publicJwk, id, timestamp, body, signature }) {
    const key = createPublicKey({ key: publicJwk, format: "jwk" });
    const content = Buffer.from(`${id}.${timestamp}.${body}`, "utf8");
    const ok = signature.split(" ").some((entry) => {
      const [version, value] = entry.split(",");
      return version === "v1a" && value !== undefined && cryptoVerify(null, content, key, Buffer.from(value, "base64"));
    });
    return ok ? { ok: true } : { ok: false, error: "no v1a entry verifies" };
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
process.stdout.write(JSON.stringify(await handler(JSON.parse(input || "{}"))));
