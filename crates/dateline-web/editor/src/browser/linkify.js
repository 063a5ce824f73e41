// Stands in for `linkify-it` inside markdown-it, in the browser bundle only: the server's Markdown
// (pulldown-cmark) does not turn bare addresses into links, so ours never does either, and the
// linkifier markdown-it constructs is never asked anything.
export default class NoLinkify {
  test() { return false; }
  pretest() { return false; }
  match() { return null; }
  matchAtStart() { return null; }
  set() { return this; }
}
