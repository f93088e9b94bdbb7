// Compare: the method leaderboard, run from a generated form, drawn as a chart; earlier runs
// are read back from their compare_<table> tables.

import { get } from "../api.js";
import { h, clear, dataTable, empty, field } from "../dom.js";
import { barChart } from "../charts.js";
import { actionForm } from "./run.js";

const ACTION = { id: "compare", title: "Compare methods", schema: "CompareRequest", path: "/classification/compare" };

export async function comparePage(root) {
  const tables = await get("/data/tables");
  root.append(h("h1", {}, "Compare methods"), h("datalist", { id: "table-names" }, tables.map((t) => h("option", { value: t.name }))));
  const form = await actionForm(ACTION);
  // The job's result carries `methods`: draw them as soon as the job ends.
  form.querySelector(".run-status").addEventListener("job-result", (e) => form.append(leaderboard(e.detail.methods || [], e.detail.table)));
  root.append(form);
  const saved = tables.filter((t) => t.name.startsWith("compare_")).map((t) => t.name);
  const box = h("section");
  root.append(h("h2", {}, "Earlier runs"), box);
  if (!saved.length) return box.append(empty("No leaderboard yet — run a comparison above."));
  const select = h("select", { name: "compare_table" }, saved.map((n) => h("option", { value: n }, n)));
  const chart = h("div");
  const show = async () => clear(chart, leaderboard((await get(`/data/tables/${encodeURIComponent(select.value)}`, { limit: 100 })).rows, select.value));
  select.addEventListener("change", show);
  box.append(field("Leaderboard table", select), chart);
  await show();
}

/** The methods by macro-F1 (chart) and every figure (table). */
export function leaderboard(methods, table) {
  if (!methods.length) return empty("The comparison returned no methods.");
  const sorted = methods.slice().sort((a, b) => (b.macro_f1 ?? 0) - (a.macro_f1 ?? 0));
  const items = sorted.map((m) => ({ label: m.method, value: m.macro_f1 ?? 0 }));
  const columns = ["method", "macro_f1", "accuracy", "log_loss", "ece", "test_rows", "train_seconds", "predict_seconds"];
  return h("figure", { class: "chart-box" }, barChart(`Method leaderboard: macro-F1 on the test split (${table})`, items, { xLabel: "macro-F1 (0–1)", max: 1 }), dataTable(columns, sorted));
}
