// Train / predict / cluster / LLM: forms generated from the request schemas in /openapi.json.

import { get, post } from "../api.js";
import { h, clear, errorNotice, dataTable } from "../dom.js";
import { jobCard } from "../jobs.js";
import { schemaForm, formBody, showFieldErrors } from "../schemaform.js";

// Snowflake-only location fields: the configured location is the right default here.
const SKIP = ["database", "schema", "warehouse", "role"];

export const ACTIONS = [
  { id: "gbm-train", title: "Train a classifier", schema: "GbmTrainRequest", path: "/classification/gbm/train" },
  { id: "gbm-predict", title: "Predict with a classifier", schema: "PredictRequest", path: "/classification/gbm/predict" },
  { id: "cluster", title: "Cluster with embeddings", schema: "ClusterRequest", path: "/classification/embeddings/cluster" },
  { id: "llm-train", title: "Fine-tune an LLM", schema: "LlmTrainRequest", path: "/classification/llm/train" },
  { id: "llm-predict", title: "Predict with an LLM", schema: "PredictRequest", path: "/classification/llm/predict" },
];

export async function runPage(root, { arg }) {
  const [tables, models] = await Promise.all([get("/data/tables"), get("/models")]);
  root.append(h("h1", {}, "Train, predict, cluster"), datalist("table-names", tables.map((t) => t.name)), datalist("model-names", models.map((m) => m.name)));
  const current = ACTIONS.find((a) => a.id === arg) || ACTIONS[0];
  const tabs = h("nav", { class: "tabs", "aria-label": "Actions" }, ACTIONS.map((a) => h("a", { href: `#/run/${a.id}`, "aria-current": a === current ? "page" : null }, a.title)));
  root.append(tabs, await actionForm(current));
}

function datalist(id, values) {
  return h("datalist", { id }, values.map((v) => h("option", { value: v })));
}

/** The generated form for one action; the job and its result appear beneath it. */
export async function actionForm(action, values = {}) {
  const form = await schemaForm(action.schema, { skip: SKIP, values });
  form.id = `form-${action.id}`;
  for (const input of form.querySelectorAll("input[type=text]")) {
    if (/_table$/.test(input.name)) input.setAttribute("list", "table-names");
    if (input.name === "model_name") input.setAttribute("list", "model-names");
  }
  const status = h("div", { class: "run-status", "aria-live": "polite" });
  form.append(h("button", { type: "submit" }, action.title));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit(action, form, status);
  });
  return h("section", {}, h("h2", {}, action.title), form, status);
}

async function submit(action, form, status) {
  clear(status);
  form.querySelectorAll(".field-error").forEach((el) => (el.textContent = ""));
  let accepted;
  try {
    accepted = await post(action.path, formBody(form));
  } catch (err) {
    showFieldErrors(form, err);
    return status.append(errorNotice(err));
  }
  const card = jobCard(accepted.task_id, action.title);
  status.append(card.root);
  const job = await card.done;
  if (job.status !== "succeeded") return;
  status.append(resultView(job.result || {}));
  // Pages that embed this form (Compare) draw more from the result.
  status.dispatchEvent(new CustomEvent("job-result", { detail: job.result || {} }));
}

/** A job result with links to what it made (a model page, a table to review). */
export function resultView(result) {
  const links = [];
  if (result.model_name) links.push(h("a", { href: `#/model/${result.model_name}` }, `model ${result.model_name}`));
  if (result.table) links.push(h("a", { href: `#/review/${result.table}` }, `review ${result.table}`));
  const scalars = Object.entries(result).filter(([, v]) => typeof v !== "object" || v === null);
  return h("div", { class: "result" }, h("p", {}, "Done. ", links.flatMap((l, i) => (i ? [" · ", l] : [l]))), dataTable(["key", "value"], scalars.map(([key, value]) => ({ key, value }))));
}
