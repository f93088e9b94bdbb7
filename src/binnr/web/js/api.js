// The JSON API client of the page: every request goes through here, so the API key, the
// error shape and the 401 prompt are handled in one place.

const KEY_NAME = "binnr.apiKey";

/** An API error: the server's {"error": {type, message, hint}} body and the status. */
export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.type = err.type || "HTTPError";
    this.hint = err.hint || "";
  }
}

// sessionStorage only: the key must not outlive the tab, nor ever sit in a URL.
export const apiKey = {
  get: () => sessionStorage.getItem(KEY_NAME),
  set: (key) => sessionStorage.setItem(KEY_NAME, key),
  clear: () => sessionStorage.removeItem(KEY_NAME),
};

let askForKey = async () => null;

/** Install the function that asks the user for a key (the page's dialog). */
export function setKeyPrompt(fn) {
  askForKey = fn;
}

function authHeaders() {
  const key = apiKey.get();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function parseBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 300) } };
  }
}

// One in-flight prompt for every request that got a 401 at the same time.
let pendingPrompt = null;

async function promptOnce(hadKey) {
  if (!pendingPrompt) {
    pendingPrompt = askForKey(hadKey).finally(() => {
      pendingPrompt = null;
    });
  }
  return pendingPrompt;
}

/** A server-sent-events response (the key sent as for every request); throws on any non-200,
 * so the caller can fall back to polling, which handles the 401 prompt. */
export async function openStream(path) {
  const headers = { ...authHeaders(), Accept: "text/event-stream" };
  const response = await fetch(path, { headers });
  if (!response.ok || !response.body) throw new ApiError(response.status, null);
  return response;
}

/** fetch + JSON + errors; on a 401 asks for the key once and retries. */
export async function request(method, path, { json, query, retry = true } = {}) {
  const url = query ? `${path}?${new URLSearchParams(clean(query))}` : path;
  const headers = { ...authHeaders() };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const body = json !== undefined ? JSON.stringify(json) : undefined;
  const response = await fetch(url, { method, headers, body });
  if (response.status === 401 && retry) {
    const key = await promptOnce(Boolean(apiKey.get()));
    if (key) {
      apiKey.set(key);
      return request(method, path, { json, query, retry: true });
    }
  }
  const data = await parseBody(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function clean(query) {
  return Object.fromEntries(
    Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ""),
  );
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, json) => request("POST", path, { json });
export const del = (path) => request("DELETE", path);

/** Upload with byte progress (fetch cannot report upload progress; XHR can). */
export function uploadFile(file, tableName, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/data/upload");
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded, e.total);
    xhr.onerror = () => reject(new ApiError(0, { error: { message: "network error" } }));
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 202) resolve(body);
      else reject(new ApiError(xhr.status, body));
    };
    const form = new FormData();
    form.append("table_name", tableName); // before the file: a bad name fails early
    form.append("file", file);
    xhr.send(form);
  });
}

/** A download link cannot carry a header, so downloads are fetched and saved as a blob. */
export async function download(path, filename) {
  const response = await fetch(path, { headers: authHeaders() });
  if (!response.ok) throw new ApiError(response.status, await parseBody(response));
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
