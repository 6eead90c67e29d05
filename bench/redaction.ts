/**
 * The redaction phase of `npm run bench` (issue 11 §5): bulk ingest (`v2/log`, 1000 events per
 * request, 250 in a quick run; 8 connections) into a configuration that redacts `message` with three detectors, as a
 * ratio to the same ingest into a configuration with the same schema and redaction off, on one
 * server (SQLite) in the same run. Target: ratio ≥ 0.7.
 *
 * The detectors are the ones most logs need and each action once: email addresses hashed (an
 * HMAC per match), IPv4 addresses masked, payment cards labelled. The events are the ingest
 * phases' (events.ts), whose messages each carry an email address and an IPv4 address, with a
 * card number added to every tenth, so every event is redacted. The two loads alternate in
 * short rounds (A B B A …) so that other work on the machine weighs on both alike. Beside them,
 * the rules alone on the same messages in this process (`redaction_rules_only_events_per_s`),
 * and the server's CPU time per committed event for each (`redaction_cpu_vs_off` = CPU per event
 * without redaction over CPU per event with it: the throughput ratio a CPU-bound server on an
 * otherwise idle machine would see).
 */
import { createHmac } from "node:crypto";
import { compileRule, type RedactionRuleSpec, redactText } from "@veritrail/core";
import { STANDARD_SCHEMA } from "../packages/server/src/ingest/event-schema.js";
import { type BenchEvent, makeEvents, v2Body } from "./events.js";
import { configWithToken, runPairedLoads } from "./paired-loads.js";
import { startBenchServer } from "./server-process.js";

export interface RedactionBenchOptions {
  quick: boolean;
  record(name: string, value: number, unit: string): void;
  progress(message: string): void;
  /** Problems of the loads, for the run to report and fail on. */
  problems: string[];
}

const CONNECTIONS = 8;
const BATCH_EVENTS = 1000;
/** A quick run's requests are smaller, so that a busy machine still answers several inside a round. */
const QUICK_BATCH_EVENTS = 250;
const BODIES = 4;
const RULES: RedactionRuleSpec[] = [
  { name: "emails", detector: "email_address", action: "hash" },
  { name: "ips", detector: "ipv4", action: "mask" },
  { name: "cards", detector: "credit_card", action: "label" },
];

/**
 * The rules alone on the same messages, in this process, with the server's keyed hash: how many
 * events per second the redaction itself allows (a ceiling the ingest is far below).
 */
function rulesOnlyRate(messages: readonly string[], seconds: number): number {
  const rules = RULES.map((spec) => {
    const compiled = compileRule(spec);
    if (!compiled.ok) throw new Error(`rule ${spec.name}: ${compiled.problem.detail}`);
    return compiled.rule;
  });
  const secret = Buffer.alloc(32, 7);
  const hash = (value: string) =>
    createHmac("sha256", secret).update(value, "utf8").digest("hex").slice(0, 20);
  let done = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  while (performance.now() < until) {
    for (const message of messages) redactText(message, rules, hash);
    done += messages.length;
  }
  return done / ((performance.now() - start) / 1000);
}

/** A configuration with `message` marked redact, and a token for it. */
function target(baseUrl: string, name: string, redaction: Record<string, unknown>): Promise<string> {
  const fields = STANDARD_SCHEMA.fields.map((f) => (f.id === "message" ? { ...f, redact: true } : f));
  return configWithToken(baseUrl, { name, schema: { fields, save_malformed: "reject" }, redaction });
}

function events(seed: number, count = BATCH_EVENTS): BenchEvent[] {
  return makeEvents(count, seed).map((event, i) =>
    i % 10 === 0 ? { ...event, message: `${event["message"] as string} card 4111 1111 1111 1111` } : event,
  );
}

export async function runRedactionBench(options: RedactionBenchOptions): Promise<void> {
  const { quick, record, progress } = options;
  // A 1000-event request can take over a second on a busy machine: even a quick round lasts
  // several such requests, or it may see no answer inside it.
  const rounds = quick ? 1 : 6;
  const seconds = quick ? 4 : 5;
  const warmup = quick ? 0.5 : 3;
  const batch = quick ? QUICK_BATCH_EVENTS : BATCH_EVENTS;
  const bodies = Array.from({ length: BODIES }, (_, i) => v2Body(events(9000 + i, batch)));
  const server = await startBenchServer();
  try {
    const on = await target(server.baseUrl, "redacting", { enabled: true, rules: RULES });
    const off = await target(server.baseUrl, "not redacting", { enabled: false });

    // One request first: a misconfiguration fails loudly, and the redaction is seen to happen.
    const check = await fetch(`${server.baseUrl}/v2/log`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${on}` },
      body: JSON.stringify({ verbose: true, events: [{ event: events(1)[0] }] }),
    });
    const checked = JSON.stringify(await check.json());
    for (const label of ["<EMAIL_ADDRESS:", "<CREDIT_CARD>", "redacted_by"]) {
      if (!checked.includes(label))
        throw new Error(`the redacting configuration did not redact: ${checked.slice(0, 500)}`);
    }

    progress(
      `redaction: v2/log with three detectors on message vs without, ${rounds} rounds of ${seconds} s each`,
    );
    const { a: redacting, b: plain } = await runPairedLoads({
      server,
      tokens: { a: on, b: off },
      bodies,
      batch,
      connections: CONNECTIONS,
      rounds,
      seconds,
      warmup,
      problem: (side, problem) =>
        options.problems.push(`redaction ${side === "a" ? "on" : "off"}: ${problem}`),
    });
    const rateOn = redacting.eventsPerSecond;
    const rateOff = plain.eventsPerSecond;
    record("redaction_v2_log_events_per_s", rateOn, "events/s");
    record("redaction_off_v2_log_events_per_s", rateOff, "events/s");
    record("redaction_v2_log_vs_off", rateOn / rateOff, "ratio");
    record("redaction_server_cpu_us_per_event", redacting.cpuUsPerEvent, "us");
    record("redaction_off_server_cpu_us_per_event", plain.cpuUsPerEvent, "us");
    record("redaction_cpu_vs_off", plain.cpuUsPerEvent / redacting.cpuUsPerEvent, "ratio");
    const messages = Array.from({ length: BODIES }, (_, i) =>
      events(9000 + i).map((e) => e["message"] as string),
    );
    record("redaction_rules_only_events_per_s", rulesOnlyRate(messages.flat(), quick ? 0.3 : 2), "events/s");
    if (!quick) progress(`target redaction ratio >= 0.7: ${rateOn / rateOff >= 0.7 ? "met" : "missed"}`);
  } finally {
    await server.stop();
  }
}
