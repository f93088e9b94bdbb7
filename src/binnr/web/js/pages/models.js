// Models: the registry with the active flag, activate and delete.

import { get, post, del } from "../api.js";
import { h, clear, dataTable, empty, errorNotice } from "../dom.js";

export async function modelsPage(root) {
  const list = h("section");
  root.append(h("h1", {}, "Models"), list);
  await refresh(list);
}

async function refresh(list) {
  const models = await get("/models");
  clear(list);
  if (!models.length) return list.append(empty("No models yet — train one on the Train & predict page."));
  const rows = models.map((m) => ({ name: m.name, kind: m.kind, active: m.active, created: m.created_at, accuracy: m.metrics?.accuracy, macro_f1: m.metrics?.macro_f1, family: m.family }));
  list.append(
    dataTable(["name", "kind", "active", "accuracy", "macro_f1", "created", "actions"], rows, {
      render: {
        name: (n) => h("a", { href: `#/model/${n}` }, n),
        active: (a) => (a ? h("span", { class: "badge" }, "active") : "—"),
        actions: (_, row) => actions(row, list),
      },
    }),
  );
}

function actions(row, list) {
  const act = async (fn) => {
    try {
      await fn();
      await refresh(list);
    } catch (err) {
      list.prepend(errorNotice(err));
    }
  };
  const activate = h("button", { type: "button", disabled: row.active, "aria-label": `Activate ${row.name}` }, "Activate");
  activate.addEventListener("click", () => act(() => post(`/models/${encodeURIComponent(row.name)}/activate`)));
  const remove = h("button", { type: "button", class: "danger", "aria-label": `Delete ${row.name}` }, "Delete");
  remove.addEventListener("click", () => {
    // Deleting removes the model's files: ask first.
    if (confirm(`Delete model ${row.name} and its files?`)) act(() => del(`/models/${encodeURIComponent(row.name)}`));
  });
  return h("span", { class: "actions" }, activate, remove);
}
