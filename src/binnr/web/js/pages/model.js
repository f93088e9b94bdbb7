// One model: its training warnings, and its metric set as pictures (confusion matrix, per-class
// bars, training curve, feature importance, calibration, leaderboard), each drawn only when the
// record has it.

import { get } from "../api.js";
import { h, dataTable, empty, cell } from "../dom.js";
import { barChart, groupedBars, heatmap, lineChart } from "../charts.js";

export async function modelPage(root, { arg }) {
  if (!arg) return root.append(empty("Pick a model on the Models page."));
  const model = await get(`/models/${encodeURIComponent(arg)}`);
  const md = model.metadata || {};
  root.append(
    h("h1", {}, `Model ${model.name}`),
    h("p", {}, `${model.kind} · ${model.active ? "active" : "inactive"} · created ${model.created_at} · `, h("a", { href: `#/review?model=${encodeURIComponent(model.name)}` }, "review its predictions")),
    metricsTable(model.metrics || {}),
  );
  const warned = warnings(md);
  if (warned) root.append(warned);
  const charts = h("div", { class: "charts" });
  root.append(charts);
  for (const draw of [confusion, perClass, trainingCurve, importance, calibration, leaderboard]) {
    const node = draw(md);
    if (node) charts.append(h("figure", { class: "chart-box" }, node));
  }
}

function metricsTable(metrics) {
  const rows = Object.entries(metrics).map(([metric, value]) => ({ metric, value }));
  return rows.length ? dataTable(["metric", "value"], rows, { caption: "Headline metrics (evaluation split)" }) : empty("No metrics recorded.");
}

// What training said about the data (labels that differ only in case, one-row labels, ...):
// the auto classifier keeps them in metadata.ensemble, the original GBM in metadata.report.
function warnings(md) {
  const found = [...(md.ensemble?.warnings || []), ...(md.report?.warnings || [])];
  if (!found.length) return null;
  return h("div", { class: "notice warning", role: "note" }, h("strong", {}, "Training warnings"), h("ul", {}, ...found.map((w) => h("li", {}, w))));
}

function confusion(md) {
  const cm = md.report?.confusion_matrix;
  if (!cm?.labels?.length) return null;
  return heatmap(`Confusion matrix (${md.report.n ?? "?"} evaluation rows)`, cm.labels, cm.matrix);
}

function perClass(md) {
  const rows = md.report?.per_class;
  if (!rows?.length) return null;
  const groups = rows.map((r) => ({ label: r.label, values: { precision: r.precision ?? 0, recall: r.recall ?? 0, f1: r.f1 ?? 0 } }));
  return groupedBars("Precision, recall and F1 per class", groups, ["precision", "recall", "f1"], { yLabel: "score (0–1)" });
}

function trainingCurve(md) {
  const log = md.training_log;
  if (!Array.isArray(log) || !log.length) return null;
  const series = ["train_loss", "eval_loss"]
    .map((key) => ({ name: key, points: log.filter((r) => typeof r[key] === "number").map((r) => [r.iteration ?? r.step, r[key]]) }))
    .filter((se) => se.points.length);
  if (!series.length) return null;
  return lineChart("Training curve", series, { xLabel: "boosting round / step", yLabel: "log loss" });
}

function importance(md) {
  const fi = md.feature_importance;
  if (!fi || typeof fi !== "object") return null;
  // Either {class: [{feature, gain}]} or a flat list: show the strongest features overall.
  const entries = Array.isArray(fi) ? fi.map((f) => ["", f]) : Object.entries(fi).flatMap(([cls, list]) => (list || []).map((f) => [cls, f]));
  const items = entries
    .map(([cls, f]) => ({ label: `${cls ? cls + ": " : ""}${JSON.stringify(f.feature).slice(1, -1)}`, value: f.gain ?? f.importance ?? 0 }))
    .sort((a, b) => b.value - a.value)
    .slice(0, 15);
  return items.length ? barChart("Feature importance (top 15 n-grams)", items, { xLabel: "gain" }) : null;
}

function calibration(md) {
  const bins = md.calibration?.reliability;
  if (!bins?.length) return null;
  const series = [
    { name: "accuracy per confidence bin", points: bins.map((b) => [b.confidence, b.accuracy]) },
  ];
  const ece = md.calibration.ece;
  return lineChart(`Calibration (reliability; ECE ${ece === undefined ? "?" : cell(ece)}); diagonal = perfect`, series, { xLabel: "mean predicted probability", yLabel: "observed accuracy", diagonal: true });
}

function leaderboard(md) {
  const board = md.leaderboard;
  if (!board?.length) return null;
  const items = board.map((r) => ({ label: r.model + (r.model === md.chosen_model ? " (chosen)" : ""), value: r.macro_f1 ?? 0 }));
  return h("div", {}, barChart("Candidates: macro-F1 on held-out rows", items, { xLabel: "macro-F1 (0–1)", max: 1 }), dataTable(Object.keys(board[0]), board));
}
