// Stands in for the `entities` package inside markdown-it, in the browser bundle only.
// markdown-it decodes character references (CommonMark §2.5) through `entities`, whose table of
// the 2,231 HTML named references is 77 KB of the bundle. The browser's HTML parser holds the same
// table (WHATWG HTML §13.5), so a <textarea> (RCDATA: markup in it stays text, nothing runs)
// decodes with it. markdown-it only passes whole `&name;` and `&#…;` references here.
const scratch = document.createElement("textarea");

export function decodeHTML(text) {
  if (!text.includes("&")) return text;
  scratch.innerHTML = text;
  return scratch.value;
}

export const decodeHTMLStrict = decodeHTML;
