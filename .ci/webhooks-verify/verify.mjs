// Checks again, with the Standard Webhooks npm package, every request the Python receiver
// logged: `node verify.mjs SECRET LOG_FILE`. Exits 1 on any failure, or when nothing was logged.
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const [secret, logFile] = process.argv.slice(2);
const wh = new Webhook(secret);
const lines = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
let bad = 0;
for (const line of lines) {
  const r = JSON.parse(line);
  try {
    wh.verify(Buffer.from(r.body, "base64").toString("utf8"), r.headers);
  } catch (e) {
    bad += 1;
    console.error(`node: ${r.id}: ${e.message}`);
  }
}
console.log(`node standardwebhooks: ${lines.length - bad}/${lines.length} signatures verified`);
process.exit(bad === 0 && lines.length > 0 ? 0 : 1);
