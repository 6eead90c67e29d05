import { useCallback } from "react";
import { useLocation, useSearch } from "wouter";

/*
 * The viewer's whole state lives in the URL (the query, the range, the page, the columns and the
 * order), so a link opens the same view.
 */

export interface ViewState {
  q: string;
  range: string | null;
  page: number;
  cols: string[] | null;
  order: "asc" | "desc";
  orderBy: string;
}

export function readViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const page = Number(params.get("page") ?? "0");
  return {
    q: params.get("q") ?? "",
    range: params.get("range"),
    page: Number.isInteger(page) && page >= 0 ? page : 0,
    cols: params.get("cols") ? params.get("cols")!.split(",").filter(Boolean) : null,
    order: params.get("order") === "asc" ? "asc" : "desc",
    orderBy: params.get("order_by") ?? "received_at",
  };
}

export function useViewState(): [ViewState, (change: Partial<ViewState>) => void] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const state = readViewState(search);
  const update = useCallback(
    (change: Partial<ViewState>) => {
      const next = { ...readViewState(window.location.search), ...change };
      const params = new URLSearchParams();
      if (next.q) params.set("q", next.q);
      if (next.range) params.set("range", next.range);
      if (next.page > 0) params.set("page", String(next.page));
      if (next.cols) params.set("cols", next.cols.join(","));
      if (next.order !== "desc") params.set("order", next.order);
      if (next.orderBy !== "received_at") params.set("order_by", next.orderBy);
      const text = params.toString();
      navigate(`${location}${text ? `?${text}` : ""}`);
    },
    [location, navigate],
  );
  return [state, update];
}
