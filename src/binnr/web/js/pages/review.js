// Review: a results table, lowest probability first, filterable by predicted label and text,
// beside the model's label-issue list when it has one.

import { get } from "../api.js";
import { h, clear, dataTable, empty, errorNotice, field } from "../dom.js";

// Rows fetched at most; the sort is over these rows (said on the page).
const CAP = 5000;
const SHOWN = 100;
const RESULTS = /^(gbm_results_|llm_)/;

export async function reviewPage(root, { arg, params }) {
  const [tables, models] = await Promise.all([get("/data/tables"), get("/models")]);
  const results = tables.filter((t) => RESULTS.test(t.name)).map((t) => t.name);
  root.append(h("h1", {}, "Review predictions"));
  if (!results.length) return root.append(empty("No results tables yet — predict a table on the Train & predict page."));
  const tableSelect = h("select", { name: "results_table" }, results.map((n) => h("option", { value: n, selected: n === arg }, n)));
  const modelSelect = h("select", { name: "model_name" }, h("option", { value: "" }, "(none)"), models.map((m) => h("option", { value: m.name, selected: m.name === params.get("model") || (!params.get("model") && m.active) }, m.name)));
  const left = h("section", { class: "review-rows" });
  const right = h("section", { class: "review-issues" });
  root.append(h("div", { class: "toolbar" }, field("Results table", tableSelect), field("Model (for label issues)", modelSelect)), h("div", { class: "two-col" }, left, right));
  tableSelect.addEventListener("change", () => showRows(left, tableSelect.value));
  modelSelect.addEventListener("change", () => showIssues(right, modelSelect.value));
  await Promise.all([showRows(left, tableSelect.value), showIssues(right, modelSelect.value)]);
}

async function showRows(box, name) {
  const page = await get(`/data/tables/${encodeURIComponent(name)}`, { limit: CAP });
  const rows = page.rows.slice().sort((a, b) => (a.probability ?? 1) - (b.probability ?? 1));
  const labels = [...new Set(rows.map((r) => r.predicted_label))].sort();
  const labelSelect = h("select", { name: "predicted_label" }, h("option", { value: "" }, "(all labels)"), labels.map((l) => h("option", { value: l }, l)));
  const text = h("input", { type: "search", name: "text_filter", placeholder: "words in source" });
  const list = h("div", { "aria-live": "polite" });
  const scope = rows.length < page.total ? `the ${rows.length} rows fetched of ${page.total}` : `all ${page.total} rows`;
  const redraw = () => clear(list, rowsView(filterRows(rows, labelSelect.value, text.value)));
  labelSelect.addEventListener("change", redraw);
  text.addEventListener("input", redraw);
  clear(box, h("h2", {}, `Lowest confidence first (${scope})`), h("div", { class: "toolbar" }, field("Predicted label", labelSelect), field("Text contains", text)), list);
  redraw();
}

export function filterRows(rows, label, text) {
  const needle = text.trim().toLowerCase();
  return rows.filter((r) => (!label || r.predicted_label === label) && (!needle || String(r.source ?? "").toLowerCase().includes(needle)));
}

function rowsView(rows) {
  if (!rows.length) return empty("No row matches the filters.");
  const shown = rows.slice(0, SHOWN).map((r) => ({ probability: r.probability, predicted_label: r.predicted_label, source: r.source }));
  return dataTable(["probability", "predicted_label", "source"], shown, {
    caption: `${shown.length} of ${rows.length} matching rows`,
    render: { probability: (p) => h("span", { class: p < 0.6 ? "low" : "" }, p === null || p === undefined ? "—" : p.toFixed(3)) },
  });
}

async function showIssues(box, model) {
  clear(box, h("h2", {}, "Label issues"));
  if (!model) return box.append(empty("Pick a model to see the labelled rows it doubts."));
  try {
    // Only some model kinds keep a report (metadata.label_issues); asking the others would
    // answer 404, so look first.
    const record = await get(`/models/${encodeURIComponent(model)}`);
    if (!record.metadata?.label_issues) return box.append(empty(`${model} has no label-issue report (models trained with params.model auto, linear, embeddings or stack have one).`));
    const issues = await get("/classification/gbm/label-issues", { model_name: model, limit: 50 });
    const rows = issues.rows || [];
    box.append(rows.length ? dataTable(Object.keys(rows[0]), rows, { caption: `${rows.length} most suspicious labels of ${model} (of ${issues.total})` }) : empty("This model found no suspicious labels."));
  } catch (err) {
    box.append(errorNotice(err));
  }
}
