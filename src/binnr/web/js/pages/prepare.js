// Prepare: the classification-tables form, with a live template preview and the label
// distribution of a sample of rows, both computed here from rows the API returned.

import { get, post } from "../api.js";
import { h, clear, dataTable, empty, errorNotice, field } from "../dom.js";
import { barChart } from "../charts.js";
import { jobCard } from "../jobs.js";
import { showFieldErrors } from "../schemaform.js";

const SAMPLE = 1000;
const PREVIEW_ROWS = 5;

export async function preparePage(root, { params }) {
  const tables = (await get("/data/tables")).filter((t) => !t.name.endsWith("__rejects"));
  root.append(h("h1", {}, "Prepare classification tables"));
  if (!tables.length) return root.append(empty("No tables yet — upload a CSV on the Tables page."));
  const select = h("select", { name: "table_name" }, tables.map((t) => h("option", { value: t.name, selected: t.name === params.get("table") }, t.name)));
  const body = h("div");
  root.append(field("Input table", select), body);
  const load = () => tableForm(body, tables.find((t) => t.name === select.value));
  select.addEventListener("change", load);
  await load();
}

async function tableForm(body, table) {
  const page = await get(`/data/tables/${encodeURIComponent(table.name)}`, { limit: SAMPLE });
  const state = { rows: page.rows, total: page.total, columns: table.columns };
  const sources = h("fieldset", { class: "checks" }, h("legend", {}, "Source columns (text fed to the models)"), table.columns.map((c) => h("label", {}, h("input", { type: "checkbox", name: "source_columns", value: c, checked: c === longestText(page.rows, table.columns) }), ` ${c}`)));
  const target = h("select", { name: "target_column" }, table.columns.map((c, i) => h("option", { value: c, selected: i === table.columns.length - 1 }, c)));
  const template = h("input", { type: "text", name: "template", placeholder: "e.g. Tweet: {text}" });
  const validation = h("input", { type: "checkbox", name: "create_validation", checked: true });
  const preview = h("div", { class: "template-preview", "aria-live": "polite" });
  const chart = h("div", { class: "chart-box" });
  const status = h("div");
  const form = h("form", { class: "prepare" }, sources, field("Label (target) column", target, "Rows with an empty label go to the predict table"), field("Template", template, "{column} placeholders are filled from each row; empty = source columns joined by ' : '"), h("label", { class: "inline" }, validation, " Also create a validation table"), h("span", { class: "field-error", "data-error-for": "form" }), h("button", { type: "submit" }, "Create tables"));
  const update = () => {
    const chosen = [...sources.querySelectorAll("input:checked")].map((i) => i.value);
    renderPreview(preview, state, chosen, template.value);
    clear(chart, labelChart(state, target.value));
  };
  form.addEventListener("input", update);
  form.addEventListener("submit", (e) => submit(e, form, table.name, status));
  update();
  clear(body, h("div", { class: "two-col" }, h("section", {}, h("h2", {}, "Form"), form, status), h("section", {}, h("h2", {}, "Template preview"), preview, chart)));
}

/** The column with the longest values on average: a good first guess for the text. */
function longestText(rows, columns) {
  const mean = (c) => rows.reduce((sum, r) => sum + String(r[c] ?? "").length, 0) / Math.max(1, rows.length);
  return columns.reduce((best, c) => (mean(c) > mean(best) ? c : best), columns[0]);
}

/** The template filled from the first rows, as the server does it (NULL → empty string). */
export function fillTemplate(template, row, chosen) {
  if (!template) return chosen.map((c) => row[c] ?? "").join(" : ");
  return template.replace(/\{'?([A-Za-z0-9_]+)'?\}/g, (m, col) => (col in row ? String(row[col] ?? "") : m));
}

function renderPreview(box, state, chosen, template) {
  const unknown = [...template.matchAll(/\{'?([A-Za-z0-9_]+)'?\}/g)].map((m) => m[1]).filter((c) => !state.columns.includes(c));
  const rows = state.rows.slice(0, PREVIEW_ROWS).map((r) => ({ source: fillTemplate(template, r, chosen) }));
  clear(box, unknown.length ? h("p", { class: "field-error" }, `Unknown placeholder(s): ${unknown.join(", ")}`) : null, rows.length ? dataTable(["source"], rows, { caption: `source of the first ${rows.length} rows` }) : empty("The table has no rows."));
}

function labelChart(state, column) {
  const counts = new Map();
  for (const row of state.rows) {
    const v = row[column];
    const key = v === null || v === undefined || String(v).trim() === "" ? "(empty → predict)" : String(v);
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const items = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([label, value]) => ({ label, value }));
  const sample = state.rows.length < state.total ? `sample of the first ${state.rows.length} of ${state.total} rows` : `all ${state.total} rows`;
  return barChart(`Labels in “${column}” (${sample})`, items, { xLabel: "rows" });
}

async function submit(event, form, tableName, status) {
  event.preventDefault();
  const body = {
    table_name: tableName,
    source_columns: [...form.querySelectorAll("[name=source_columns]:checked")].map((i) => i.value),
    target_column: form.querySelector("[name=target_column]").value,
    template: form.querySelector("[name=template]").value || null,
    create_validation: form.querySelector("[name=create_validation]").checked,
  };
  clear(status);
  try {
    const accepted = await post("/data/create/tables/classification", body);
    const card = jobCard(accepted.task_id, `prepare ${tableName}`);
    status.append(card.root);
    const job = await card.done;
    if (job.status === "succeeded") status.append(dataTable(["role", "name", "rows"], job.result.tables, { caption: "Tables created", render: { name: (n) => h("a", { href: `#/tables/${n}` }, n) } }));
  } catch (err) {
    showFieldErrors(form, err);
    status.append(errorNotice(err));
  }
}
