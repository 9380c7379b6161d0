// An RS256 JWS over any header text, signed with node:crypto. jose refuses to sign headers it considers invalid
// (unknown or malformed "crit"), which is exactly what the receiver's RFC 7515 checks must be tested with.
// Usage: node raw-jwt.mjs < {"privateJwk":{...},"header":"{...}","claims":{...} or "{...}"} > {"token":"..."}
// Claims given as text are signed as that text (a payload with a repeated key, which no JSON object can hold).
import { createPrivateKey, sign } from "node:crypto";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { privateJwk, header, claims } = JSON.parse(input);
const key = createPrivateKey({ key: privateJwk, format: "jwk" });
const signingInput = `${Buffer.from(header, "utf8").toString("base64url")}.${Buffer.from(typeof claims === "string" ? claims : JSON.stringify(claims), "utf8").toString("base64url")}`;
const signature = sign("sha256", Buffer.from(signingInput, "ascii"), key).toString("base64url");
process.stdout.write(JSON.stringify({ token: `${signingInput}.${signature}` }));
