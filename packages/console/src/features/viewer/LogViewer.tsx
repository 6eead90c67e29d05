import { useQuery } from "@tanstack/react-query";
import type { ResultsResult, SchemaField, SearchResult, SessionView } from "@veritrail/core";
import { verifyConsistency } from "@veritrail/core";
import { Fragment, useEffect, useMemo, useState } from "react";
import { ApiError } from "../../api/client.js";
import { audit, checkpoints } from "../../api/endpoints.js";
import { announce } from "../../components/ui/Announcer.js";
import { ErrorBanner } from "../../components/ui/Field.js";
import { errorPosition } from "../../lib/query-words.js";
import { decodeRange, encodeRange, rangeRequest } from "../../lib/time-range.js";
import { checkCheckpoint, type PageRoots, verifyEvent } from "../../lib/verify.js";
import { ColumnChooser } from "./ColumnChooser.js";
import { Lock } from "./Lock.js";
import { QueryBar } from "./QueryBar.js";
import { RowDetail } from "./RowDetail.js";
import { TimeRangePicker } from "./TimeRangePicker.js";
import { useViewState } from "./url-state.js";

const PAGE_SIZE = 20;

/** The published root's consistency with the root one size before it, checked here. */
function useRootConsistency(configId: string, page: SearchResult | ResultsResult | undefined) {
  const root = page?.root;
  return useQuery({
    queryKey: ["consistency", configId, root?.size, root?.root_hash],
    enabled: root !== undefined,
    queryFn: async (): Promise<PageRoots["consistency"]> => {
      if (!root || root.size <= 1) return { state: "none", detail: "the first root has nothing before it" };
      const [at, before] = await Promise.all([
        audit.root(configId, root.size),
        audit.root(configId, root.size - 1),
      ]);
      if (at.data.root_hash !== root.root_hash) {
        return {
          state: "fail",
          detail: `the server's root of size ${root.size} is not the one this answer carries`,
        };
      }
      const ok = verifyConsistency({
        oldRoot: before.data.root_hash,
        newRoot: root.root_hash,
        proof: at.data.consistency_proof ?? [],
      });
      return ok
        ? { state: "pass", detail: `root of size ${root.size} extends the root of size ${root.size - 1}` }
        : {
            state: "fail",
            detail: `the consistency proof from size ${root.size - 1} to ${root.size} does not verify`,
          };
    },
  });
}

export function LogViewer(props: { configId: string; session: SessionView }) {
  const { configId } = props;
  const [view, update] = useViewState();
  const range = decodeRange(view.range);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());

  const searchKey = [configId, view.q, encodeRange(range), view.order, view.orderBy] as const;
  const search = useQuery({
    queryKey: ["search", ...searchKey],
    queryFn: () =>
      audit.search({
        config_id: configId,
        query: view.q,
        limit: PAGE_SIZE,
        order: view.order,
        order_by: view.orderBy,
        ...rangeRequest(range),
      }),
  });
  const schema = useQuery({ queryKey: ["schema", configId], queryFn: () => audit.schema(configId) });
  // A token without v1/schema still reads its events: their own fields then make the columns.
  const fields: SchemaField[] = useMemo(() => {
    if (schema.data) return schema.data.fields;
    const seen = new Set<string>();
    for (const e of search.data?.events ?? [])
      for (const k of Object.keys(e.envelope?.event ?? {})) seen.add(k);
    return [...seen].map((id) => ({ id, type: "string", required: false, redact: false }));
  }, [schema.data, search.data]);
  const fieldNames = useMemo(() => new Map(fields.map((f) => [f.id, f.name ?? f.id])), [fields]);
  const defaultColumns = useMemo(() => {
    const visible = fields.filter((f) => f.ui_default_visible && f.id !== "message").map((f) => f.id);
    return ["received_at", ...(fields.some((f) => f.id === "message") ? ["message"] : []), ...visible];
  }, [fields]);
  const columns = view.cols ?? defaultColumns;
  const filterable = useMemo(
    () => new Set(fields.filter((f) => ["string", "integer", "boolean"].includes(f.type)).map((f) => f.id)),
    [fields],
  );
  const resultId = search.data?.id;
  const pageQuery = useQuery({
    queryKey: ["results", resultId, view.page],
    enabled: resultId !== undefined && view.page > 0,
    queryFn: () =>
      audit.results({ id: resultId!, limit: PAGE_SIZE, offset: view.page * PAGE_SIZE, config_id: configId }),
  });
  const page = view.page > 0 ? pageQuery.data : search.data;
  const consistency = useRootConsistency(configId, page);
  const signed = useQuery({
    queryKey: ["checkpoint", page?.root?.tree_name, page?.root?.size, page?.root?.root_hash],
    enabled: page?.root !== undefined,
    queryFn: async (): Promise<PageRoots["checkpoint"]> => {
      const root = page!.root!;
      try {
        const [note, key] = await Promise.all([
          checkpoints.note(root.tree_name, root.size),
          checkpoints.verifierKey(),
        ]);
        return checkCheckpoint(root, note, key);
      } catch (error) {
        return { state: "fail", detail: `no signed checkpoint for size ${root.size}: ${String(error)}` };
      }
    },
  });
  const roots: PageRoots = useMemo(
    () => ({
      ...(page?.root ? { root: page.root } : {}),
      ...(page?.unpublished_root ? { unpublished_root: page.unpublished_root } : {}),
      ...(consistency.data ? { consistency: consistency.data } : {}),
      ...(signed.data ? { checkpoint: signed.data } : {}),
    }),
    [page, consistency.data, signed.data],
  );
  const verified = useMemo(() => (page?.events ?? []).map((e) => verifyEvent(e, roots)), [page, roots]);
  const count = search.data?.count ?? 0;

  // A new search starts with every row collapsed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the search's key is what resets it
  useEffect(() => setExpanded(new Set()), [searchKey.join("\n")]);

  useEffect(() => {
    if (search.data) announce(`${search.data.count} result${search.data.count === 1 ? "" : "s"}`);
  }, [search.data]);

  const searchError = search.error instanceof ApiError ? search.error : undefined;
  const queryProblem = searchError?.errors.find((e) => e.source === "/query");
  const otherError = search.error && !queryProblem ? search.error : pageQuery.error;

  async function download(format: "csv" | "json") {
    if (!resultId) return;
    try {
      const link = await audit.downloadResults({ result_id: resultId, format, config_id: configId });
      const a = document.createElement("a");
      a.href = link.dest_url;
      a.download = "";
      document.body.append(a);
      a.click();
      a.remove();
      announce(`Downloading ${format.toUpperCase()}`);
    } catch (error) {
      announce(`Download failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const toggle = (hash: string) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (next.has(hash)) next.delete(hash);
      else next.add(hash);
      return next;
    });

  const sortBy = (id: string) => {
    if (view.orderBy === id) update({ order: view.order === "desc" ? "asc" : "desc", page: 0 });
    else update({ orderBy: id, order: "desc", page: 0 });
  };

  const restriction = props.session.field_restrictions?.[configId];
  // A token's session pages and downloads only if its grant names those endpoints.
  const may = (endpoint: string) =>
    props.session.endpoints == null || props.session.endpoints.includes(endpoint);
  const canPage = may("v1/results");
  const canDownload = may("v1/download_results");
  const firstShown = count === 0 ? 0 : view.page * PAGE_SIZE + 1;
  const lastShown = Math.min(count, (view.page + 1) * PAGE_SIZE);

  return (
    <section aria-labelledby="viewer-title">
      <div className="page-head">
        <h1 id="viewer-title">Log Viewer</h1>
        {restriction && Object.keys(restriction).length > 0 ? (
          <p className="badge">
            Restricted to{" "}
            {Object.entries(restriction)
              .map(([f, vs]) => `${f} = ${vs.join(" or ")}`)
              .join("; ")}
          </p>
        ) : null}
      </div>
      <QueryBar
        value={view.q}
        fields={fields}
        onSearch={(q) => update({ q, page: 0 })}
        error={
          queryProblem
            ? { message: queryProblem.detail, position: errorPosition(queryProblem.detail), query: view.q }
            : undefined
        }
      />
      <div className="toolbar">
        <TimeRangePicker value={range} onChange={(r) => update({ range: encodeRange(r), page: 0 })} />
        <ColumnChooser fields={fields} columns={columns} onChange={(cols) => update({ cols })} />
        <span className="spacer" />
        <button
          type="button"
          className="button"
          disabled={!canDownload || !resultId || count === 0}
          onClick={() => void download("csv")}
        >
          Download CSV
        </button>
        <button
          type="button"
          className="button"
          disabled={!canDownload || !resultId || count === 0}
          onClick={() => void download("json")}
        >
          Download JSON
        </button>
      </div>
      <ErrorBanner error={otherError} />
      <div className="table-wrap">
        <table className="results">
          <caption className="visually-hidden">Audit events, {count} results</caption>
          <thead>
            <tr>
              <th scope="col" className="narrow-col">
                <span className="visually-hidden">Expand</span>
              </th>
              <th scope="col" className="narrow-col">
                <span className="visually-hidden">Verification</span>
              </th>
              {columns.map((id) => {
                const sorted = view.orderBy === id;
                const name = id === "received_at" ? "Time (UTC)" : (fieldNames.get(id) ?? id);
                const sortable =
                  id === "received_at" ||
                  fields.some((f) => f.id === id && f.type !== "text" && f.type !== "string-unindexed");
                return (
                  <th
                    key={id}
                    scope="col"
                    aria-sort={sorted ? (view.order === "asc" ? "ascending" : "descending") : undefined}
                  >
                    {sortable ? (
                      <button
                        type="button"
                        className="sort-button"
                        onClick={() => sortBy(id)}
                        aria-label={`Order by ${name}`}
                      >
                        {name} {sorted ? (view.order === "asc" ? "▲" : "▼") : ""}
                      </button>
                    ) : (
                      name
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {search.isLoading || pageQuery.isLoading ? (
              <tr>
                <td colSpan={columns.length + 2} role="status">
                  Searching…
                </td>
              </tr>
            ) : (page?.events ?? []).length === 0 ? (
              <tr>
                <td colSpan={columns.length + 2}>
                  {queryProblem
                    ? "Correct the query above to search."
                    : "No events match this query in this time range."}
                </td>
              </tr>
            ) : (
              (page?.events ?? []).map((event, i) => {
                const open = expanded.has(event.hash);
                const summary = event.envelope
                  ? String(event.envelope.event["message"] ?? event.envelope.received_at)
                  : "erased";
                return (
                  <Fragment key={`${event.leaf_index ?? i}:${event.hash}`}>
                    <tr className={open ? "row open" : "row"}>
                      <td>
                        <button
                          type="button"
                          className="icon-button"
                          aria-expanded={open}
                          aria-label={`${open ? "Collapse" : "Expand"} event ${summary.slice(0, 60)}`}
                          onClick={() => toggle(event.hash)}
                        >
                          {open ? "▾" : "▸"}
                        </button>
                      </td>
                      <td>
                        <Lock verification={verified[i]!} event={event} roots={roots} />
                      </td>
                      {columns.map((id) => (
                        <td key={id} className={id === "received_at" ? "mono nowrap" : undefined}>
                          {id === "received_at" ? (
                            event.envelope ? (
                              <time dateTime={event.envelope.received_at}>
                                {showTime(event.envelope.received_at)}
                              </time>
                            ) : (
                              "erased"
                            )
                          ) : (
                            String(event.envelope?.event[id] ?? "")
                          )}
                        </td>
                      ))}
                    </tr>
                    {open ? (
                      <tr className="detail-row">
                        <td colSpan={columns.length + 2}>
                          <RowDetail
                            event={event}
                            fieldNames={fieldNames}
                            filterable={filterable}
                            onFilter={(field, value, exclude) => {
                              const term = `${exclude ? "-" : ""}${field}=${quoteValue(value)}`;
                              update({ q: view.q.trim() ? `${view.q.trim()} AND ${term}` : term, page: 0 });
                            }}
                          />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })
            )}
          </tbody>
        </table>
      </div>
      {!canPage || !canDownload ? (
        <p className="hint">
          This token's grant does not include{" "}
          {[!canPage && "v1/results (paging)", !canDownload && "v1/download_results (downloads)"]
            .filter(Boolean)
            .join(" or ")}
          .
        </p>
      ) : null}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="button"
          disabled={view.page === 0}
          onClick={() => update({ page: view.page - 1 })}
        >
          Previous page
        </button>
        <span aria-live="polite">
          {count === 0 ? "No results" : `${firstShown}–${lastShown} of ${count}`}
        </span>
        <button
          type="button"
          className="button"
          disabled={!canPage || lastShown >= count}
          onClick={() => update({ page: view.page + 1 })}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}

/** An RFC 3339 time as the table shows it: date and time in UTC, without the T and Z. */
function showTime(iso: string): string {
  return iso.replace("T", " ").replace(/Z$/, "");
}

/** A value as the query language reads it: bare when it is one plain word, else quoted with escapes. */
function quoteValue(value: string): string {
  return /^[\w.@-]+$/.test(value) ? value : `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
