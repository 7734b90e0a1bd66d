// The shape of a component id (explorer/model/ids.py, COMPONENT_ID): a lower-case kind,
// then one or two names of letters, digits and . _ : @ [ ] - and space, each starting with
// a letter, a digit or [. Anything else read from the address bar (?component=, ?focus=)
// is ignored, so no parameter can make the page fetch a path of its choosing.

const COMPONENT_ID = /^[a-z][a-z0-9-]{0,62}(\/[A-Za-z0-9\[][A-Za-z0-9._:@ \[\]-]{0,252}){1,2}$/;

export function isComponentId(text) {
  return typeof text === "string" && text.length <= 600 && COMPONENT_ID.test(text);
}

// The detail panel's URL for a component id, or null for anything that is not one.
export function componentUrl(id) {
  if (!isComponentId(id)) return null;
  return `/component/${id.split("/").map(encodeURIComponent).join("/")}/`;
}
