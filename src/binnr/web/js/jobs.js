// Job updates are pushed: GET /jobs/{id}/events streams a `status` event on every change and
// `end` at the end. EventSource cannot send the API key, so the stream is read with fetch. If
// the stream cannot be opened (an old server, a proxy that buffers), polling takes over.
// The pages only see `subscribe(id, onUpdate, onError)`.

import { get, openStream, post } from "./api.js";
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

/** Parses server-sent events from a fetch body; calls onEvent(name, data) for each. */
async function readEvents(response, onEvent, isStopped) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (!isStopped()) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      const data = (block.match(/^data: (.*)$/m) || [])[1];
      if (name && data !== undefined) onEvent(name, JSON.parse(data));
    }
  }
  reader.cancel();
}

/** The pushed feed: status events until the job ends; falls back to polling on any failure. */
function streamFeed(id, onUpdate, onError) {
  let stopped = false;
  let stopPolling = null;
  const path = `/jobs/${encodeURIComponent(id)}/events`;
  openStream(path)
    .then((response) =>
      readEvents(response, (name, job) => name === "status" && onUpdate(job), () => stopped),
    )
    .catch(() => {
      if (!stopped) stopPolling = pollFeed(id, onUpdate, onError);
    });
  return () => {
    stopped = true;
    if (stopPolling) stopPolling();
  };
}

export const subscribe = streamFeed;

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
