// Lorastack API console: reads the OpenAPI document and sends requests with fetch; no dependencies.
"use strict";

const TOKEN_KEY = "lorastack.console.token";
const state = { doc: null, ops: [] };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function resolveRef(schema) {
  if (schema && schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return state.doc.components.schemas[name] || {};
  }
  return schema || {};
}

// A skeleton body helps more than an empty box; nested messages stop at a small depth.
function example(schema, depth) {
  const s = resolveRef(schema);
  if (depth > 2) return undefined;
  if (s.type === "object" && s.properties) {
    const out = {};
    for (const [name, prop] of Object.entries(s.properties)) {
      const value = example(prop, depth + 1);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
  if (s.type === "array") return [];
  if (s.type === "string") return s.enum ? s.enum[0] : "";
  if (s.type === "integer" || s.type === "number") return 0;
  if (s.type === "boolean") return false;
  return undefined;
}

function collectOperations(doc) {
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [verb, op] of Object.entries(item)) {
      ops.push({ path, verb, op, service: (op.tags || ["other"])[0] });
    }
  }
  ops.sort((a, b) => a.service.localeCompare(b.service) || a.op.operationId.localeCompare(b.op.operationId));
  return ops;
}

function renderList() {
  const filter = document.getElementById("filter").value.trim().toLowerCase();
  const list = document.getElementById("operations");
  list.replaceChildren();
  let service = null;
  for (const entry of state.ops) {
    const text = `${entry.op.operationId} ${entry.verb} ${entry.path}`.toLowerCase();
    if (filter && !text.includes(filter)) continue;
    if (entry.service !== service) {
      service = entry.service;
      list.append(el("li", { class: "service" }, service));
    }
    list.append(el("li", { class: "op", title: entry.path, onclick: () => renderOperation(entry) },
      el("span", { class: `verb ${entry.verb}` }, entry.verb.toUpperCase()),
      entry.op.operationId.replace(`${entry.service}_`, "")));
  }
}

function inputsFor(params, where) {
  const box = el("fieldset", {}, el("legend", {}, where === "path" ? "Path" : "Query"));
  for (const p of params.filter((x) => x.in === where)) {
    const s = resolveRef(p.schema);
    const hint = s.enum ? s.enum.join(" | ") : (s.format || s.type || "");
    box.append(el("label", {}, p.name, el("input", { "data-name": p.name, placeholder: hint })));
  }
  return box;
}

function renderOperation(entry) {
  const detail = document.getElementById("detail");
  const params = entry.op.parameters || [];
  const pathBox = inputsFor(params, "path");
  const queryBox = inputsFor(params, "query");
  let body = null;
  if (entry.op.requestBody) {
    const schema = entry.op.requestBody.content["application/json"].schema;
    body = el("textarea", { spellcheck: "false" });
    body.value = JSON.stringify(example(schema, 0) ?? {}, null, 2);
  }
  const output = el("div", {});
  const send = el("button", { onclick: () => sendRequest(entry, pathBox, queryBox, body, output) }, "Send");
  detail.replaceChildren(
    el("h2", {}, `${entry.verb.toUpperCase()} ${entry.path}`),
    el("p", { class: "hint" }, entry.op.summary || ""),
    pathBox, queryBox,
    ...(body ? [el("fieldset", {}, el("legend", {}, "Body (JSON)"), body)] : []),
    send, output);
}

function buildUrl(entry, pathBox, queryBox) {
  let path = entry.path;
  for (const input of pathBox.querySelectorAll("input")) {
    path = path.replace(`{${input.dataset.name}}`, encodeURIComponent(input.value));
  }
  const query = new URLSearchParams();
  for (const input of queryBox.querySelectorAll("input")) {
    if (input.value !== "") query.append(input.dataset.name, input.value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (err) { return text; }
}

async function sendRequest(entry, pathBox, queryBox, body, output) {
  const headers = { Accept: "application/json" };
  const token = document.getElementById("token").value.trim();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method: entry.verb.toUpperCase(), headers };
  if (body) { init.body = body.value; headers["Content-Type"] = "application/json"; }
  const statusLine = el("p", { class: "status" }, "…");
  const headerBox = el("pre", {});
  const bodyBox = el("pre", {});
  output.replaceChildren(statusLine, el("h3", {}, "Headers"), headerBox, el("h3", {}, "Body"), bodyBox);
  let response;
  try {
    response = await fetch(buildUrl(entry, pathBox, queryBox), init);
  } catch (err) {
    statusLine.textContent = `Request failed: ${err}`;
    statusLine.classList.add("fail");
    return;
  }
  statusLine.textContent = `${response.status} ${response.statusText}`;
  statusLine.classList.add(response.ok ? "ok" : "fail");
  headerBox.textContent = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  // Streams arrive as one JSON object per line; show each as soon as its line is complete.
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = pending.indexOf("\n")) >= 0) {
      bodyBox.textContent += pretty(pending.slice(0, cut)) + "\n";
      pending = pending.slice(cut + 1);
    }
  }
  if (pending) bodyBox.textContent += pretty(pending);
}

async function main() {
  const tokenInput = document.getElementById("token");
  tokenInput.value = sessionStorage.getItem(TOKEN_KEY) || "";
  tokenInput.addEventListener("input", () => sessionStorage.setItem(TOKEN_KEY, tokenInput.value));
  document.getElementById("filter").addEventListener("input", renderList);
  const response = await fetch("/api/v3/openapi.json");
  state.doc = await response.json();
  state.ops = collectOperations(state.doc);
  renderList();
}

main().catch((err) => {
  document.getElementById("detail").textContent = `Could not load the API description: ${err}`;
});
