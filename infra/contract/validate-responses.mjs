// Validates recorded API answers against the OpenAPI document, with
// openapi-backend (Ajv): node validate-responses.mjs openapi.json answers.json
//
// answers.json is a list of {Method, Path, Status, ContentType, Body}, as the
// scenario test (infra/local/e2e) recorded them. Each answer must belong to a
// documented operation and status; a status declared without content has an
// empty body; one with content has a declared media type, and a JSON body
// valid against the response's schema. Exits 1 listing every failure.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const tools = process.env.S3CONNECTIONS_TOOLS;
if (!tools) {
  console.error("S3CONNECTIONS_TOOLS is not set: run through make (make lint-openapi installs the validator)");
  process.exit(2);
}
const require = createRequire(join(tools, "contract", "package.json"));
const { OpenAPIBackend } = require("openapi-backend");
const addFormats = require("ajv-formats");

const [docPath, answersPath] = process.argv.slice(2);
const definition = JSON.parse(readFileSync(docPath, "utf8"));
const answers = JSON.parse(readFileSync(answersPath, "utf8"));
const api = new OpenAPIBackend({
  definition, strict: true, quick: false,
  ajvOpts: { allErrors: true }, // every problem of an answer, not its first
  customizeAjv: (ajv) => { addFormats(ajv); return ajv; }, // date-time is checked, not ignored
});
await api.init();

const failures = [];
const seen = new Map(); // operationId -> statuses
for (const a of answers) {
  const where = `${a.Method} ${a.Path} -> ${a.Status}`;
  const path = a.Path.split("?")[0];
  const op = api.matchOperation({ method: a.Method, path, headers: {} });
  if (!op) {
    failures.push(`${where}: no documented operation`);
    continue;
  }
  const declared = op.responses?.[String(a.Status)];
  if (!declared) {
    failures.push(`${where}: ${op.operationId} does not document status ${a.Status}`);
    continue;
  }
  if (!seen.has(op.operationId)) seen.set(op.operationId, new Set());
  seen.get(op.operationId).add(a.Status);
  const content = declared.content;
  if (!content) {
    if (a.Body !== "") failures.push(`${where}: no content is documented, got ${JSON.stringify(a.Body.slice(0, 200))}`);
    continue;
  }
  const mediaType = (a.ContentType || "").split(";")[0].trim().toLowerCase();
  if (!content[mediaType]) {
    failures.push(`${where}: content type ${JSON.stringify(a.ContentType)}, documented: ${Object.keys(content).join(", ")}`);
    continue;
  }
  if (mediaType !== "application/json") continue;
  let body;
  try {
    body = JSON.parse(a.Body);
  } catch {
    failures.push(`${where}: not JSON: ${a.Body.slice(0, 200)}`);
    continue;
  }
  const result = api.validateResponse(body, op, a.Status);
  for (const e of result.errors ?? []) {
    failures.push(`${where}: ${e.instancePath || "(body)"} ${e.message} ${JSON.stringify(e.params)}: ${a.Body.slice(0, 300)}`);
  }
}

const operations = Object.values(definition.paths).flatMap((ops) => Object.keys(ops).filter((m) => m !== "parameters")).length;
console.log(`${answers.length} answers validated against ${docPath}: ${seen.size} of ${operations} operations, ` +
  `${[...seen.values()].reduce((n, s) => n + s.size, 0)} operation statuses, ${failures.length} failures`);
for (const f of failures) console.log("  " + f);
process.exit(failures.length ? 1 : 0);
