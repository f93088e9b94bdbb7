// Jobs: the active jobs with live bars and cancel, and the recent ones (refreshed every second).

import { get } from "../api.js";
import { h, clear, dataTable, empty, errorNotice } from "../dom.js";
import { cancelJob, progressLine } from "../jobs.js";

const REFRESH_MS = 1000;

export async function jobsPage(root) {
  const active = h("section", { "aria-live": "polite" });
  const recent = h("section");
  root.append(h("h1", {}, "Jobs"), active, recent);
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      await refresh(active, recent);
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

async function refresh(active, recent) {
  const [running, latest] = await Promise.all([get("/jobs/active"), get("/jobs", { limit: 30 })]);
  clear(active, h("h2", {}, `Active (${running.length})`), running.length ? h("div", { class: "job-list" }, running.map(activeRow)) : empty("No job is running. Start one on the Tables, Prepare or Train pages."));
  const rows = latest.map((j) => ({ id: j.task_id, kind: j.kind, status: j.status, phase: j.progress?.phase ?? "", created: j.created_at, error: j.error?.message ?? "" }));
  clear(recent, h("h2", {}, "Recent"), rows.length ? dataTable(["id", "kind", "status", "phase", "created", "error"], rows) : empty("No jobs yet."));
}

function activeRow(job) {
  const p = job.progress || {};
  const bar = h("progress", { max: "100", value: String(p.percent ?? 0), "aria-label": `progress of ${job.kind} ${job.task_id}` });
  const button = h("button", { type: "button", class: "secondary", "aria-label": `Cancel ${job.kind} ${job.task_id}` }, "Cancel");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await cancelJob(job.task_id);
    } catch (err) {
      button.after(errorNotice(err));
    }
  });
  return h("div", { class: "job-card", "data-job": job.task_id, "data-status": job.status }, h("div", { class: "job-title" }, job.kind, h("code", {}, ` ${job.task_id}`)), bar, h("span", { class: "progress-text" }, progressLine(job)), button);
}
