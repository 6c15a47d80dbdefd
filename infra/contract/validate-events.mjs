// Validates recorded run events against their JSON Schema, with Ajv
// (draft 2020-12, ajv-formats): node validate-events.mjs schema.json events.jsonl
//
// events.jsonl holds one event a line, as the local EventBridge records
// them ({"bus": <ARN>, "event": {...}}) or the bare event. Exits 1 listing
// every event that does not validate, 0 when all do (and there is one).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const tools = process.env.S3CONNECTIONS_TOOLS;
if (!tools) {
  console.error("S3CONNECTIONS_TOOLS is not set: run through make (make contract-tools installs the validator)");
  process.exit(2);
}
const require = createRequire(join(tools, "contract", "package.json"));
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats");

const [schemaPath, eventsPath] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
const lines = readFileSync(eventsPath, "utf8").split("\n").filter((l) => l.trim() !== "");
const failures = [];
for (const line of lines) {
  const rec = JSON.parse(line);
  const ev = rec.event ?? rec;
  if (!validate(ev)) {
    failures.push(`${ev?.detail?.EventId ?? ev?.id}: ${ajv.errorsText(validate.errors)}`);
  }
}
if (lines.length === 0) failures.push("no events to validate");
for (const f of failures) console.error(f);
console.log(`${lines.length} events, ${failures.length} invalid`);
process.exit(failures.length > 0 ? 1 : 0);
