// Tables: the list (rows, columns, rejects), a paged preview, downloads and the upload form.

import { get, uploadFile, download } from "../api.js";
import { h, clear, dataTable, empty, errorNotice, field, progressBar } from "../dom.js";
import { jobCard } from "../jobs.js";

const PAGE = 20;
const REJECTS = "__rejects";

export async function tablesPage(root, { arg }) {
  const list = h("section", { "aria-labelledby": "tables-h" });
  const preview = h("section", { id: "preview", "aria-live": "polite" });
  root.append(h("h1", {}, "Tables"), uploadSection(() => refresh(list, preview)), list, preview);
  await refresh(list, preview);
  if (arg) await showPreview(preview, arg, 0);
}

async function refresh(list, preview) {
  const tables = await get("/data/tables");
  clear(list, h("h2", { id: "tables-h" }, "Warehouse tables"));
  const mains = tables.filter((t) => !t.name.endsWith(REJECTS));
  if (!mains.length) return list.append(empty("No tables yet — upload a CSV above."));
  const rejects = Object.fromEntries(tables.filter((t) => t.name.endsWith(REJECTS)).map((t) => [t.name.slice(0, -REJECTS.length), t.rows]));
  const rows = mains.map((t) => ({ table: t.name, rows: t.rows, columns: t.columns.join(", "), rejects: rejects[t.name] ?? "" }));
  list.append(dataTable(["table", "rows", "columns", "rejects", "actions"], rows, { render: { actions: (_, row) => actions(row, preview), rejects: (n, row) => rejectsCell(n, row, preview) } }));
}

function actions(row, preview) {
  const name = row.table;
  return h(
    "span",
    { class: "actions" },
    h("button", { type: "button", onclick: () => showPreview(preview, name, 0), "aria-label": `Preview ${name}` }, "Preview"),
    h("button", { type: "button", class: "secondary", onclick: () => saveAs(preview, name, "csv") }, "CSV"),
    h("button", { type: "button", class: "secondary", onclick: () => saveAs(preview, name, "parquet") }, "Parquet"),
  );
}

function rejectsCell(count, row, preview) {
  if (count === "") return "—";
  const name = `${row.table}${REJECTS}`;
  return h("button", { type: "button", class: "link", onclick: () => showPreview(preview, name, 0), "aria-label": `Show rejects of ${row.table}` }, `${count} rejected`);
}

async function saveAs(preview, name, format) {
  try {
    await download(`/data/tables/${encodeURIComponent(name)}/download?format=${format}`, `${name}.${format}`);
  } catch (err) {
    preview.prepend(errorNotice(err));
  }
}

async function showPreview(preview, name, offset) {
  let page;
  try {
    page = await get(`/data/tables/${encodeURIComponent(name)}`, { limit: PAGE, offset });
  } catch (err) {
    return clear(preview, errorNotice(err));
  }
  const last = Math.min(offset + PAGE, page.total);
  const nav = h(
    "div",
    { class: "pager" },
    h("button", { type: "button", disabled: offset === 0, onclick: () => showPreview(preview, name, Math.max(0, offset - PAGE)) }, "‹ Previous"),
    h("span", {}, page.total ? `rows ${offset + 1}–${last} of ${page.total}` : "no rows"),
    h("button", { type: "button", disabled: last >= page.total, onclick: () => showPreview(preview, name, offset + PAGE) }, "Next ›"),
  );
  clear(preview, h("h2", {}, `Preview: ${name}`), nav, page.rows.length ? dataTable(page.columns, page.rows) : empty("This table has no rows."));
}

function uploadSection(onDone) {
  const fileInput = h("input", { type: "file", name: "file", required: true, accept: ".csv,.gz,.parquet,.jsonl,.ndjson" });
  const nameInput = h("input", { type: "text", name: "table_name", required: true, pattern: "[A-Za-z_][A-Za-z0-9_]*" });
  const status = h("div", { class: "upload-status", "aria-live": "polite" });
  fileInput.addEventListener("change", () => {
    const file = fileInput.files[0];
    if (file && !nameInput.value) nameInput.value = file.name.split(".")[0].toLowerCase().replace(/[^a-z0-9_]/g, "_");
  });
  const form = h("form", { class: "upload", "aria-label": "Upload a file" }, field("File (CSV, CSV.gz, Parquet, JSONL)", fileInput), field("Table name", nameInput, "Replaces the table if it exists"), h("button", { type: "submit" }, "Upload"), status);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (form.reportValidity()) runUpload(fileInput.files[0], nameInput.value, status).then(onDone);
  });
  return h("section", {}, h("h2", {}, "Upload"), form);
}

async function runUpload(file, tableName, status) {
  const bytes = progressBar("upload bytes");
  clear(status, bytes.root);
  try {
    const accepted = await uploadFile(file, tableName, (loaded, total) => bytes.set((100 * loaded) / total, `${(loaded / 1e6).toFixed(2)} of ${(total / 1e6).toFixed(2)} MB sent`));
    bytes.set(100, "sent; loading into the warehouse…");
    const card = jobCard(accepted.task_id, `upload → ${tableName}`);
    status.append(card.root);
    const job = await card.done;
    if (job.status === "succeeded") status.append(uploadSummary(job.result));
  } catch (err) {
    status.append(errorNotice(err));
  }
}

function uploadSummary(result) {
  const line = h("p", { class: "notice" }, `${result.rows_loaded} rows loaded into ${result.table}, ${result.rows_rejected} rejected.`);
  if (!result.rows_rejected) return line;
  const samples = (result.sample_errors || []).map((e) => ({ line: e.line, reason: e.reason, raw: (e.raw || "").trim() }));
  return h("div", {}, line, dataTable(["line", "reason", "raw"], samples, { caption: `Rejected rows (first ${samples.length}; all in ${result.rejects_table})` }));
}
