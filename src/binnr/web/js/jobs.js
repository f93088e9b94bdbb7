// Job updates. The server has no push channel yet (no GET /jobs/{id}/events), so updates come
// from polling once a second. Everything above `pollFeed` only sees `subscribe(id, onUpdate)`,
// so an EventSource-based feed can replace it without touching the pages.

import { get, post } from "./api.js";
import { h, progressBar, fmtSeconds, errorNotice } from "./dom.js";

export const FINAL = new Set(["succeeded", "failed", "cancelled", "interrupted"]);
const POLL_MS = 1000;

/** The polling feed: calls onUpdate(job) every second until the job ends; returns a stop(). */
function pollFeed(id, onUpdate, onError) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    try {
      const job = await get(`/jobs/status/${encodeURIComponent(id)}`);
      if (stopped) return;
      onUpdate(job);
      if (!FINAL.has(job.status)) timer = setTimeout(tick, POLL_MS);
    } catch (err) {
      onError(err);
    }
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// The one place to swap polling for SSE once the server offers it.
export const subscribe = pollFeed;

/** Resolves with the finished job (any final state); onUpdate sees every state on the way. */
export function waitJob(id, onUpdate = () => {}) {
  return new Promise((resolve, reject) => {
    const stop = subscribe(
      id,
      (job) => {
        onUpdate(job);
        if (FINAL.has(job.status)) {
          stop();
          resolve(job);
        }
      },
      reject,
    );
  });
}

export const cancelJob = (id) => post(`/jobs/${encodeURIComponent(id)}/cancel`);

/** "phase 2/5 · message · ETA 10 s" */
export function progressLine(job) {
  const p = job.progress || {};
  const parts = [job.status];
  if (p.phase) parts.push(`${p.phase} (${p.phase_index ?? "?"}/${p.phase_total ?? "?"})`);
  if (p.message) parts.push(p.message);
  if (!FINAL.has(job.status) && p.eta_seconds) parts.push(`ETA ${fmtSeconds(p.eta_seconds)}`);
  return parts.join(" · ");
}

/** A live card for one job: bar, phase, ETA and a cancel button while it runs. */
export function jobCard(id, title) {
  const bar = progressBar(`progress of ${title}`);
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const errorBox = h("div");
  const root = h("div", { class: "job-card", "data-job": id }, h("div", { class: "job-title" }, title, h("code", {}, ` ${id}`)), bar.root, cancel, errorBox);
  cancel.addEventListener("click", async () => {
    try {
      await cancelJob(id);
    } catch (err) {
      errorBox.replaceChildren(errorNotice(err));
    }
  });
  const done = waitJob(id, (job) => {
    bar.set(job.progress?.percent ?? 0, progressLine(job));
    root.dataset.status = job.status;
    if (FINAL.has(job.status)) cancel.remove();
    if (job.error) errorBox.replaceChildren(errorNotice(job.error));
  });
  return { root, done };
}
