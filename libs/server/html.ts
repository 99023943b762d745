// The status pages' HTML (ring pages, HA tracker): one plain table page, escaped.

export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A page with a title and one table; `headers` are plain text, `rows` finished `<tr>` elements. */
export function htmlTablePage(title: string, headers: readonly string[], rows: readonly string[]): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHTML(title)}</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style></head>
<body><h1>${escapeHTML(title)}</h1>
<table><thead><tr>${headers.map((h) => `<th>${escapeHTML(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}
