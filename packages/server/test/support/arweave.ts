/**
 * Redirects the SDKs' Arweave look-ups (wire-protocol §5.7) without touching the SDK: `fetch` is
 * wrapped so that `https://arweave.net/graphql` answers an empty transaction list, as Arweave
 * does for a tree it never saw, and any other arweave.net address answers 404. The SDK then
 * falls back to our `v1/root`, as it does on the internet. Every redirected call is recorded.
 */
export function redirectArweave(): { calls: { url: string; body: string | undefined }[]; restore(): void } {
  const realFetch = globalThis.fetch;
  const calls: { url: string; body: string | undefined }[] = [];
  globalThis.fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.startsWith("https://arweave.net/")) return realFetch(input, init);
    calls.push({ url, body: typeof init?.body === "string" ? init.body : undefined });
    if (url === "https://arweave.net/graphql") {
      return new Response(JSON.stringify({ data: { transactions: { edges: [] } } }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    return new Response("not found", { status: 404 });
  };
  return {
    calls,
    restore() {
      globalThis.fetch = realFetch;
    },
  };
}
