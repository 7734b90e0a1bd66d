// The shape of a component id in the address bar (?component=, ?focus=), as explorer/model/ids.py
// has it: a lower-case kind, then one or two names. A name may hold any text but a NUL (a cluster
// names things as it likes), but it is never empty, "." or "..": a path step would let a parameter
// make the page fetch another path of the site into its panel.

const KIND = /^[a-z][a-z0-9-]{0,62}$/;
const MAX_ID = 1024;

export function isComponentId(text) {
  if (typeof text !== "string" || text.length > MAX_ID || text.includes("\0")) return false;
  const [kind, ...names] = text.split("/");
  return KIND.test(kind) && names.length >= 1 && names.length <= 2 && names.every((n) => n && n !== "." && n !== "..");
}

// The detail panel's URL for a component id, or null for anything that is not one.
export function componentUrl(id) {
  if (!isComponentId(id)) return null;
  return `/component/${id.split("/").map(encodeURIComponent).join("/")}/`;
}
