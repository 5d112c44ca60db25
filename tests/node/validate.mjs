// Validates records against wirewatch's JSON Schemas with ajv (draft 2020-12, formats asserted):
// a validator in another language than the pydantic models that generated the schemas.
// stdin: {"schemas": {"name": schema, ...}, "records": [{"schema": "name", "value": any}, ...]}
// stdout: [{"valid": bool, "errors": [string, ...]}, ...] in the order of "records".
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validators = {};
for (const [name, schema] of Object.entries(input.schemas)) {
  validators[name] = ajv.compile(schema);
}
const results = input.records.map(({ schema, value }) => {
  const validate = validators[schema];
  const valid = validate(value);
  const errors = valid ? [] : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
  return { valid, errors };
});
process.stdout.write(JSON.stringify(results));
