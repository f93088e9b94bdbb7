// Jobs: the active jobs with live bars and cancel, and the recent ones (refreshed every second).

import { get } from "../api.js";
import { h, clear, dataTable, empty, errorNotice } from "../dom.js";
import { cancelJob, progressLine } from "../jobs.js";

const REFRESH_MS = 1000;

export async function jobsPage(root) {
  const active = h("section", { "aria-live": "polite" });
  const recent = h("section");
  root.append(h("h1", {}, "Jobs"), active, recent);
  const cards = new Map();
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      await refresh(active, recent, cards);
    } catch (err) {
      clear(active, errorNotice(err));
    }
    if (!stopped) timer = setTimeout(tick, REFRESH_MS);
  };
  await tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

async function refresh(active, recent, cards) {
  const [running, latest] = await Promise.all([get("/jobs/active"), get("/jobs", { limit: 30 })]);
  syncActive(active, running, cards);
  const rows = latest.map((j) => ({ id: j.task_id, kind: j.kind, status: j.status, phase: j.progress?.phase ?? "", created: j.created_at, error: j.error?.message ?? "" }));
  clear(recent, h("h2", {}, "Recent"), rows.length ? dataTable(["id", "kind", "status", "phase", "created", "error"], rows) : empty("No jobs yet."));
}

// Cards are updated in place, not rebuilt: a rebuilt Cancel button would lose keyboard focus
// every second.
function syncActive(box, running, cards) {
  const ids = new Set(running.map((j) => j.task_id));
  for (const [id, card] of cards) if (!ids.has(id)) (card.root.remove(), cards.delete(id));
  if (!box.firstChild) box.append(h("h2"), h("div", { class: "job-list" }), h("div", { class: "job-empty" }));
  const [title, list, none] = box.children;
  title.textContent = `Active (${running.length})`;
  for (const job of running) {
    if (!cards.has(job.task_id)) cards.set(job.task_id, activeCard(job, list));
    cards.get(job.task_id).update(job);
  }
  clear(none, running.length ? null : empty("No job is running. Start one on the Tables, Prepare or Train pages."));
}

function activeCard(job, list) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `progress of ${job.kind} ${job.task_id}` });
  const text = h("span", { class: "progress-text" });
  const button = h("button", { type: "button", class: "secondary", "aria-label": `Cancel ${job.kind} ${job.task_id}` }, "Cancel");
  const root = h("div", { class: "job-card", "data-job": job.task_id }, h("div", { class: "job-title" }, job.kind, h("code", {}, ` ${job.task_id}`)), bar, text, button);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await cancelJob(job.task_id);
    } catch (err) {
      button.after(errorNotice(err));
    }
  });
  list.append(root);
  const update = (j) => {
    bar.value = j.progress?.percent ?? 0;
    text.textContent = progressLine(j);
    root.dataset.status = j.status;
  };
  return { root, update };
}
