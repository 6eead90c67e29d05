import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type OpenStore, useFreshStore } from "./fixtures.js";

/**
 * What every store does beside its roles (store/contract/store.ts): migrations and the setup lock.
 *
 * @example describeStoreConformance(() => openFreshTestStore("sqlite"));
 */
export function describeStoreConformance(open: OpenStore): void {
  describe("store", () => {
    const current = useFreshStore(open);

    it("applies migrations idempotently", async () => {
      const store = current();
      await store.migrate();
      await store.migrate();
    });

    it("runs first-start setup once under the setup lock", async () => {
      const store = current();
      const order: string[] = [];
      await Promise.all(
        [1, 2, 3].map((i) =>
          store.withSetupLock(async () => {
            order.push(`in${i}`);
            await new Promise((r) => setTimeout(r, 5));
            order.push(`out${i}`);
          }),
        ),
      );
      assert.equal(order.length, 6);
      for (let i = 0; i < order.length; i += 2) assert.equal(order[i]!.slice(2), order[i + 1]!.slice(3));
    });
  });
}
