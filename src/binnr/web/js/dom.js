// Small DOM helpers: element building, tables, notices and progress bars.

/** h("div", {class: "x", onclick: fn}, child, "text") → an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A readable cell value: JSON for objects, "—" for null. */
export function cell(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? value : value.toFixed(4);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A table of row objects; `render` may turn a column's value into a node. */
export function dataTable(columns, rows, { caption, render = {} } = {}) {
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)));
  const body = rows.map((row) =>
    h("tr", {}, columns.map((c) => h("td", {}, render[c] ? render[c](row[c], row) : cell(row[c])))),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h("table", {}, caption ? h("caption", {}, caption) : null, h("thead", {}, head), h("tbody", {}, body)),
  );
}

/** An empty-state line that says what to do next. */
export const empty = (text) => h("p", { class: "empty" }, text);

/** An error notice with the server's hint. */
export function errorNotice(err) {
  return h(
    "div",
    { class: "notice error", role: "alert" },
    h("strong", {}, err.type || "Error"),
    ": ",
    err.message || String(err),
    err.hint ? h("div", { class: "hint" }, err.hint) : null,
  );
}

export const notice = (text) => h("div", { class: "notice", role: "status" }, text);

/** A labelled <progress> with a text line beneath. */
export function progressBar(label) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": label });
  const text = h("span", { class: "progress-text" }, "");
  const root = h("div", { class: "progress" }, bar, text);
  return {
    root,
    set(percent, line) {
      bar.value = Math.max(0, Math.min(100, percent));
      text.textContent = line;
    },
  };
}

export function fmtSeconds(s) {
  if (s === null || s === undefined) return "";
  if (s < 60) return `${Math.round(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A <label> around a control, so every input has a name a screen reader can read. */
export function field(labelText, control, help) {
  return h(
    "label",
    { class: "field" },
    h("span", { class: "label" }, labelText),
    control,
    help ? h("small", { class: "help" }, help) : null,
  );
}
