// Percent-decoding for text that comes from files and servers: a link in a user's README such as
// `100%-uptime.md`, a path in an API error. decodeURIComponent throws URIError on a "%" that does
// not start a valid UTF-8 escape, which turned one odd link into a journal that would not load.

/** Decodes every valid %XX UTF-8 sequence and keeps anything else (a lone "%", bad UTF-8) as written. */
export function decodePercent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Decode run by run: each maximal run of %XX escapes that forms valid UTF-8 is decoded.
    return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run.replace(/%[0-9A-Fa-f]{2}/g, (one) => {
          try { return decodeURIComponent(one); } catch { return one; }
        });
      }
    });
  }
}
