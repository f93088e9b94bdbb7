// The single-page shell: hash routes → page modules, and the API-key dialog.

import { setKeyPrompt } from "./api.js";
import { h, clear, errorNotice } from "./dom.js";
import { tablesPage } from "./pages/tables.js";
import { preparePage } from "./pages/prepare.js";
import { runPage } from "./pages/run.js";
import { jobsPage } from "./pages/jobs.js";
import { modelsPage } from "./pages/models.js";
import { modelPage } from "./pages/model.js";
import { reviewPage } from "./pages/review.js";
import { comparePage } from "./pages/compare.js";

const ROUTES = {
  tables: tablesPage,
  prepare: preparePage,
  run: runPage,
  jobs: jobsPage,
  models: modelsPage,
  model: modelPage,
  review: reviewPage,
  compare: comparePage,
};

// Pages that poll (jobs) register a cleanup here; it runs when the route changes.
let cleanup = null;

function parseHash() {
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  return { name: (name || "tables").split("?")[0], arg: decodeURIComponent((rest.join("/") || "").split("?")[0]), params };
}

async function render() {
  if (cleanup) cleanup();
  cleanup = null;
  const view = document.getElementById("view");
  const { name, arg, params } = parseHash();
  const page = ROUTES[name] || tablesPage;
  document.querySelectorAll("nav a").forEach((a) => a.toggleAttribute("aria-current", a.getAttribute("href") === `#/${name}`));
  clear(view, h("p", {}, "Loading…"));
  try {
    const node = h("div", { class: `page page-${name}` });
    cleanup = await page(node, { arg, params });
    clear(view, node);
  } catch (err) {
    clear(view, errorNotice(err));
  }
}

/** Asks for the key in a modal dialog; resolves with the key or null. */
function promptForKey(hadKey) {
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  document.getElementById("key-reason").textContent = hadKey
    ? "The server refused the key in use. Enter another one (kept in this tab only)."
    : "This server asks for an API key. It is kept in this tab only (sessionStorage).";
  input.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok" && input.value ? input.value : null), { once: true });
    dialog.showModal();
    input.focus();
  });
}

setKeyPrompt(promptForKey);
window.addEventListener("hashchange", render);
render();
