// Which session record headings in a note have nothing written under them, so the sign dialog
// can name them before an irreversible signature. A heading is a line reading exactly
// "<heading>:" (as the session record template writes it); what belongs to it runs until the
// next heading line or the end of the note.

/** The headings, in the order they appear in `text`, with nothing but blank space under them. */
export function emptyHeadings(text: string, headings: string[]): string[] {
  const known = new Set(headings.map((h) => h.trim().toLowerCase()));
  const lines = text.split(/\r?\n/);
  const found: { heading: string; line: number }[] = [];
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t.endsWith(":") && known.has(t.slice(0, -1).trim().toLowerCase())) found.push({ heading: t.slice(0, -1).trim(), line: i });
  });
  return found
    .filter((f, k) => {
      const end = k + 1 < found.length ? found[k + 1].line : lines.length;
      return lines.slice(f.line + 1, end).every((l) => !l.trim());
    })
    .map((f) => f.heading);
}
