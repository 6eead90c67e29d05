-- Named leases: work that must run once across a cluster runs under one (docs/design/cluster.md).
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until INTEGER NOT NULL
);
