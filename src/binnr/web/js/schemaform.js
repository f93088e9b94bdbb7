// Forms generated from the OpenAPI document: defaults, bounds, enums and descriptions come from
// the server's own parameter models, so the page never restates them.

import { get } from "./api.js";
import { h, field } from "./dom.js";

let specPromise = null;

/** The OpenAPI document, fetched once per page load. */
export function openapi() {
  specPromise ??= get("/openapi.json");
  return specPromise;
}

function resolve(spec, schema) {
  if (schema?.$ref) return spec.components.schemas[schema.$ref.split("/").pop()];
  return schema;
}

/** {type, nullable, ...} with a nullable anyOf folded into one schema. */
function normalise(spec, schema) {
  const s = resolve(spec, schema);
  if (!s?.anyOf) return { ...s };
  const options = s.anyOf.filter((o) => o.type !== "null");
  const nullable = options.length < s.anyOf.length;
  return { ...s, ...resolve(spec, options[0]), nullable, description: s.description, default: s.default };
}

function boundsText(s) {
  const parts = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  return parts.join(", ");
}

function control(name, s) {
  const enumValues = s.enum ?? (s.const !== undefined ? [s.const] : null);
  if (enumValues) {
    const options = [...(s.nullable || s.default === undefined ? [""] : []), ...enumValues];
    return h("select", { name }, options.map((v) => h("option", { value: v, selected: v === (s.default ?? "") }, v === "" ? "(none)" : v)));
  }
  if (s.type === "boolean") return h("input", { type: "checkbox", name, checked: s.default === true });
  const numeric = s.type === "integer" || s.type === "number";
  const attrs = { name, type: numeric ? "number" : "text", value: s.default ?? "" };
  if (numeric) {
    attrs.step = s.type === "integer" ? "1" : "any";
    attrs.min = s.minimum ?? s.exclusiveMinimum;
    attrs.max = s.maximum ?? s.exclusiveMaximum;
  }
  return h("input", attrs);
}

function fieldFor(spec, path, raw, required, skip) {
  const s = normalise(spec, raw);
  if (s.type === "object" && s.properties) {
    return h("fieldset", { class: "nested" }, h("legend", {}, path.join(".")), s.description ? h("small", { class: "help" }, s.description) : null, fieldsOf(spec, s, path, skip));
  }
  const name = path.join(".");
  const input = control(name, s);
  input.dataset.kind = s.type || "string";
  if (required) input.required = true;
  const help = [s.description, boundsText(s), s.default !== undefined && s.default !== null ? `default ${JSON.stringify(s.default)}` : ""].filter(Boolean).join(" · ");
  const wrap = field(`${name}${required ? " *" : ""}`, input, help);
  wrap.append(h("span", { class: "field-error", "data-error-for": name, role: "alert" }));
  return wrap;
}

function fieldsOf(spec, schema, prefix, skip) {
  const required = new Set(schema.required || []);
  return Object.entries(schema.properties)
    .filter(([key]) => !skip.has(key))
    .map(([key, sub]) => fieldFor(spec, [...prefix, key], sub, required.has(key), skip));
}

/** A <form> for components.schemas[name]; `skip` leaves out fields (e.g. Snowflake's role). */
export async function schemaForm(name, { skip = [], values = {} } = {}) {
  const spec = await openapi();
  const schema = spec.components.schemas[name];
  const form = h("form", { class: "schema-form", "data-schema": name, novalidate: true });
  form.append(h("p", { class: "help" }, (schema.description || "").split("\n")[0]));
  form.append(...fieldsOf(spec, schema, [], new Set(skip)));
  for (const [key, value] of Object.entries(values)) setValue(form, key, value);
  return form;
}

export function setValue(form, name, value) {
  const input = form.querySelector(`[name="${name}"]`);
  if (!input) return;
  if (input.type === "checkbox") input.checked = Boolean(value);
  else input.value = value;
}

function readInput(input) {
  if (input.type === "checkbox") return input.checked;
  if (input.value === "") return undefined; // left empty: the server's default applies
  if (input.dataset.kind === "integer" || input.dataset.kind === "number") return Number(input.value);
  return input.value;
}

/** The form's values as a nested JSON body; empty fields are left out. */
export function formBody(form) {
  const body = {};
  for (const input of form.querySelectorAll("[name]")) {
    const value = readInput(input);
    if (value === undefined) continue;
    const path = input.name.split(".");
    let node = body;
    for (const key of path.slice(0, -1)) node = node[key] ??= {};
    node[path.at(-1)] = value;
  }
  return body;
}

/** Show a 422's "field.path: problem; ..." beside each named field; true if any matched. */
export function showFieldErrors(form, err) {
  form.querySelectorAll(".field-error").forEach((el) => (el.textContent = ""));
  let matched = false;
  for (const part of (err.message || "").split("; ")) {
    const [where, ...rest] = part.split(": ");
    const slot = form.querySelector(`[data-error-for="${where}"]`);
    if (slot && rest.length) {
      slot.textContent = rest.join(": ");
      matched = true;
    }
  }
  return matched;
}
