// The five operations through openapi-fetch with the types openapi-typescript generates.
//
// Run by .ci/clients against a real gateway on its embedded default:
//   GATEWAY_URL, GATEWAY_API_KEY  the gateway and the demo tenant's key
//   SIMULATOR_URL                 the embedded simulator (its admin API backdates the activation)
//   WEBHOOK_PORT, WEBHOOK_SECRET  where this test receives the demo tenant's webhooks, and their
//                                 secret (the gateway is started with them)
//
// Compiled with `tsc --strict` first: the type assertions below fail the build when the spec
// loses a required field, a date format, an enum or an operationId.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { test } from "node:test";

import createClient from "openapi-fetch";
import { Webhook } from "standardwebhooks";

import type { components, operations, paths } from "./generated/schema.js";

type Schemas = components["schemas"];
type PaymentRequest = Schemas["PaymentRequest"];
type InvoiceInput = Schemas["InvoiceInput"];
type SubmitResults = Schemas["SubmitResults"];

// ---------------------------------------------------------------- compile-time checks
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

// Reached by operationId: a missing or shared id does not compile.
type GetPaymentRequestOk = operations["getPaymentRequest"]["responses"][200]["content"]["application/json"];
expectType<Equal<GetPaymentRequestOk, PaymentRequest>>();
// Fields the server always sends are required (nullable where they can be null).
expectType<Equal<PaymentRequest["invoice_number"], string | null>>();
expectType<Equal<PaymentRequest["client_id"], string | null>>();
expectType<Equal<PaymentRequest["invoice"], Schemas["InvoiceSummary"] | null>>();
expectType<Equal<Schemas["InvoiceSummary"]["invoice_date"], string | null>>();
expectType<Equal<Schemas["InvoiceResult"]["payment_request"], PaymentRequest | null>>();
// The problem code is an enum, not any string.
expectType<Equal<string extends Schemas["Problem"]["code"] ? true : false, false>>();
expectType<Equal<"not_found" extends Schemas["Problem"]["code"] ? true : false, true>>();
expectType<Equal<"no_such_code" extends Schemas["Problem"]["code"] ? true : false, false>>();
// The register answer declares its Location header.
expectType<Equal<"Location" extends keyof operations["registerClient"]["responses"][201]["headers"] ? true : false, true>>();
// Every status the server answers is declared, e.g. 413 on a body above the limit.
expectType<Equal<operations["submitPaymentRequests"]["responses"][413]["content"]["application/problem+json"], Schemas["Problem"]>>();
// Each operation the test uses exists under its stable id.
type Used = "registerClient" | "getClient" | "findClientByEmail" | "submitPaymentRequests" | "getPaymentRequest" | "searchPaymentRequests";
expectType<Equal<Used extends keyof operations ? true : false, true>>();

// Events: a webhook body is one of the event types, told apart by `type`; a feed item is the
// same plus its cursor; `limit` and `wait` are numbers.
type Event = Schemas["Event"];
expectType<Equal<Event["type"], "payment_request.status_changed" | "client.account_changed">>();
expectType<Equal<operations["listWebhookDeliveries"]["parameters"]["query"] extends { limit?: number } | undefined ? true : false, true>>();
expectType<Equal<operations["listEvents"]["parameters"]["query"] extends { limit?: number; wait?: number } | undefined ? true : false, true>>();

// What the server sends must be what the types say: the key lists below are checked against
// the types at compile time and against the answers at run time.
const PAYMENT_REQUEST_KEYS = ["client_id", "id", "invoice", "invoice_number", "rejection", "status", "transfer"] as const;
const INVOICE_SUMMARY_KEYS = ["deposit", "invoice_date", "service_end", "service_start", "total_excl_tax", "total_incl_tax"] as const;
expectType<Equal<(typeof PAYMENT_REQUEST_KEYS)[number], keyof PaymentRequest>>();
expectType<Equal<(typeof INVOICE_SUMMARY_KEYS)[number], keyof Schemas["InvoiceSummary"]>>();

function assertKeys(value: object, keys: readonly string[], what: string): void {
  assert.deepEqual(Object.keys(value).sort(), [...keys].sort(), `${what}: the keys the server sent`);
}

// ---------------------------------------------------------------- setup
function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see .ci/clients)`);
  return value;
}

const api = createClient<paths>({
  baseUrl: env("GATEWAY_URL"),
  headers: { Authorization: `Bearer ${env("GATEWAY_API_KEY")}` },
});
const simulator = env("SIMULATOR_URL");
const run = randomUUID().slice(0, 8).toUpperCase();
const EMAIL = "louise.bernard.typescript@example.org";
const BIRTH_DATE = "1982-09-03";
const MONEY = /^[0-9]+\.[0-9]{2}$/;

/** `YYYY-MM-DD` of a UTC date. */
const day = (d: Date): string => d.toISOString().slice(0, 10);
const now = new Date();
const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
const lastMonthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
const monthBefore = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1));
const on = (month: Date, d: number): string => day(new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), d)));

const state = { clientId: "", accepted: new Map<string, string>() /* invoice number → id */ };

// The demo tenant's webhook: each request verified with the Standard Webhooks library (400
// when it does not verify), its body kept as the typed event.
const received: Event[] = [];
let refused = 0;
const hooks = new Webhook(env("WEBHOOK_SECRET"));
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    try {
      // The library returns what it parsed; the spec says it is an event.
      received.push(hooks.verify(Buffer.concat(chunks).toString("utf8"), headers) as Event);
      res.statusCode = 204;
    } catch {
      refused += 1;
      res.statusCode = 400;
    }
    res.end();
  });
});
receiver.listen(Number(env("WEBHOOK_PORT")), "127.0.0.1");
receiver.unref();
let broken = false;

/** Later steps use what earlier ones made: after a failure they are skipped. */
function step(name: string, body: () => Promise<void>): void {
  test(name, async (t) => {
    if (broken) {
      t.skip("an earlier step failed");
      return;
    }
    try {
      await body();
    } catch (e) {
      broken = true;
      throw e;
    }
  });
}

function invoice(number: string, month: Date, quantity: string, unitPrice: string, vatRate: string): InvoiceInput {
  return {
    invoice_number: number,
    invoice_date: on(month, 21),
    client_id: state.clientId,
    client_birth_date: BIRTH_DATE,
    lines: [{
      nature_code: "60", quantity, unit: "hour", unit_price: unitPrice, vat_rate: vatRate,
      service_start: on(month, 5), service_end: on(month, 20),
    }],
  };
}

async function submit(invoices: InvoiceInput[]): Promise<{ status: number; results: SubmitResults }> {
  const { data, error, response } = await api.POST("/v1/payment-requests", {
    params: { header: { "Idempotency-Key": randomUUID() } },
    body: { invoices },
  });
  assert.ok(data, `${response.status}: ${JSON.stringify(error)}`);
  assert.ok(response.headers.get("x-request-id"), "every answer carries X-Request-Id");
  return { status: response.status, results: data };
}

function accepted(results: SubmitResults, index: number): PaymentRequest {
  const result = results.results[index];
  assert.ok(result);
  assert.equal(result.outcome, "accepted", JSON.stringify(result));
  assert.deepEqual(result.errors, []);
  assert.equal(result.reconciled, false);
  const pr = result.payment_request;
  assert.ok(pr);
  assert.equal(pr.invoice_number, result.invoice_number);
  assert.equal(pr.client_id, state.clientId);
  assert.equal(pr.status.state, "integrated");
  state.accepted.set(result.invoice_number, pr.id);
  return pr;
}

// ---------------------------------------------------------------- steps
step("registerClient", async () => {
  const { data, error, response } = await api.POST("/v1/clients", {
    params: { header: { "Idempotency-Key": randomUUID() } },
    body: {
      title: "mrs", birth_name: "Bernard", first_names: "Louise", birth_date: BIRTH_DATE,
      birth_place: { commune_code: "44109", commune_name: "Nantes" },
      mobile_phone: "07 12 34 56 78", email: EMAIL,
      address: {
        street_number: "3", street_type: "AV", street_name: "des Lilas",
        commune_code: "44109", commune_name: "Nantes", postal_code: "44000",
      },
      bank_account: { iban: "FR7630004000031234567890143", bic: "BNPAFRPP", holder: "Mme Louise Bernard" },
    },
  });
  assert.equal(response.status, 201, JSON.stringify(error));
  assert.ok(data);
  assert.ok(data.client_id);
  assert.equal(response.headers.get("location"), `/v1/clients/${data.client_id}`);
  assert.equal(typeof data.account.can_receive_payment_requests, "boolean");
  state.clientId = data.client_id;
  // The embedded simulator activates a client at registration; Urssaf refuses services dated
  // before the activation, so backdate it to the first day of last month.
  const admin = await fetch(`${simulator}/__admin/clients/${state.clientId}/status`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code: "APPAREILLAGE_VALIDE", activated_at: `${day(lastMonth)}T00:00:00Z` }),
  });
  assert.equal(admin.status, 200);
});

step("getClient + findClientByEmail", async () => {
  const { data, error } = await api.GET("/v1/clients/{client_id}", {
    params: { path: { client_id: state.clientId } },
  });
  assert.ok(data, JSON.stringify(error));
  assert.equal(data.client_id, state.clientId);
  assert.equal(data.account.state, "active");
  assert.equal(data.account.can_receive_payment_requests, true);
  const since: string | null = data.account.active_since;
  assert.equal(since, day(lastMonth));
  assert.equal(data.account.urssaf.code, "APPAREILLAGE_VALIDE");
  const birthName: string | null = data.birth_name;
  assert.equal(birthName?.toUpperCase(), "BERNARD");

  const found = await api.GET("/v1/clients", { params: { query: { email: EMAIL } } });
  assert.equal(found.data?.client_id, state.clientId, JSON.stringify(found.error));
});

step("submitPaymentRequests: 200, all accepted", async () => {
  const { status, results } = await submit([
    invoice(`TS-${run}-1`, lastMonth, "5", "30.00", "10"),
    invoice(`TS-${run}-2`, lastMonth, "2.5", "24.00", "5.5"),
  ]);
  assert.equal(status, 200);
  const first = accepted(results, 0);
  const second = accepted(results, 1);
  assert.equal(first.invoice?.total_incl_tax, "150.00");
  assert.equal(first.invoice?.total_excl_tax, "136.36");
  assert.equal(second.invoice?.total_incl_tax, "60.00");
  assert.equal(second.invoice?.service_start, on(lastMonth, 5));
  assert.notEqual(first.id, second.id);
});

step("submitPaymentRequests: 207, one rejected by Urssaf", async () => {
  const { status, results } = await submit([
    invoice(`TS-${run}-3`, lastMonth, "1", "45.50", "0"),
    // Services before the client's activation: Urssaf rejects this one only.
    invoice(`TS-${run}-4`, monthBefore, "1", "45.50", "0"),
  ]);
  assert.equal(status, 207);
  accepted(results, 0);
  const rejected = results.results[1];
  assert.ok(rejected);
  assert.equal(rejected.outcome, "rejected");
  assert.equal(rejected.invoice_number, `TS-${run}-4`);
  assert.equal(rejected.payment_request, null);
  assert.equal(rejected.errors[0]?.rule, "urssaf_rejected");
  assert.equal(rejected.errors[0]?.urssaf?.code, "ERR_LIEN_PARTICULIER_PRESTATAIRE", JSON.stringify(rejected));
});

step("getPaymentRequest (+ 404 problem)", async () => {
  const number = `TS-${run}-1`;
  const id = state.accepted.get(number);
  assert.ok(id);
  const { data, error } = await api.GET("/v1/payment-requests/{payment_request_id}", {
    params: { path: { payment_request_id: id } },
  });
  assert.ok(data, JSON.stringify(error));
  const pr: GetPaymentRequestOk = data;
  assertKeys(pr, PAYMENT_REQUEST_KEYS, "PaymentRequest");
  assert.ok(pr.invoice);
  assertKeys(pr.invoice, INVOICE_SUMMARY_KEYS, "InvoiceSummary");
  assert.deepEqual([pr.id, pr.invoice_number, pr.client_id], [id, number, state.clientId]);
  assert.equal(pr.status.state, "awaiting_client_validation");
  assert.equal(pr.status.urssaf_code, "20");
  assert.equal(pr.status.final, false);
  assert.equal(pr.rejection, null);
  assert.equal(pr.transfer, null);
  assert.equal(pr.invoice.invoice_date, on(lastMonth, 21));
  assert.match(pr.invoice.total_incl_tax ?? "", MONEY);

  const missing = await api.GET("/v1/payment-requests/{payment_request_id}", {
    params: { path: { payment_request_id: "99999999999999" } },
  });
  assert.equal(missing.response.status, 404);
  assert.ok(missing.error);
  assert.equal(missing.error.code, "not_found");
  assert.equal(missing.error.status, 404);
  assert.equal(missing.error.request_id, missing.response.headers.get("x-request-id"));
});

step("searchPaymentRequests: ids, invoice numbers, period", async () => {
  const search = async (body: Schemas["SearchPaymentRequests"]): Promise<Schemas["SearchResults"]> => {
    const { data, error } = await api.POST("/v1/payment-requests/search", { body });
    assert.ok(data, JSON.stringify(error));
    return data;
  };
  const ids = [...state.accepted.values()].sort();
  const byIds = await search({ ids: [...ids, "99999999999999"] });
  assert.deepEqual(byIds.payment_requests.map((p) => p.id).sort(), ids);
  assert.deepEqual(byIds.not_found, ["99999999999999"]);

  const numbers = [`TS-${run}-1`, `TS-${run}-3`];
  const byNumbers = await search({ invoice_numbers: [...numbers, `TS-${run}-NOPE`] });
  assert.deepEqual(byNumbers.payment_requests.map((p) => p.invoice_number).sort(), numbers);
  assert.deepEqual(byNumbers.not_found, [`TS-${run}-NOPE`]);

  const period = await search({ invoice_date_from: day(lastMonth), invoice_date_to: day(lastMonthEnd) });
  const mine = new Set(period.payment_requests.filter((p) => p.client_id === state.clientId).map((p) => p.invoice_number));
  for (const number of state.accepted.keys()) assert.ok(mine.has(number), `${number} in the period`);
  for (const p of period.payment_requests) {
    const date = p.invoice?.invoice_date;
    assert.ok(date && date >= day(lastMonth) && date <= day(lastMonthEnd), `${date} in the period`);
  }
  assert.deepEqual(period.not_found, []);
});

step("submitPaymentRequests: 413 problem", async () => {
  // Above server.max_body_bytes (1 MiB by default).
  const invoices = Array.from({ length: 5000 }, (_, i) => invoice(`TS-${run}-BIG-${i}`, lastMonth, "1", "10.00", "0"));
  const { data, error, response } = await api.POST("/v1/payment-requests", { body: { invoices } });
  assert.equal(response.status, 413);
  assert.equal(data, undefined);
  assert.equal(error?.code, "payload_too_large");
});

step("webhook (standardwebhooks) + listEvents + listWebhookDeliveries: typed events", async () => {
  // The accepted requests move from integrated (10) to awaiting the client's validation (20).
  const mine = new Set(state.accepted.values());
  const deadline = Date.now() + 30_000;
  let change: Schemas["PaymentRequestStatusChanged"] | undefined;
  while (!change) {
    assert.ok(Date.now() < deadline, `no webhook for ${[...mine].join(", ")}: ${JSON.stringify(received)}`);
    for (const e of received) {
      // Narrowed on `type`: `data` is the payment request, with no cast.
      if (e.type === "payment_request.status_changed" && mine.has(e.data.id)) change = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(refused, 0);
  assert.equal(change.data.status.state, "awaiting_client_validation");
  assert.equal(change.data.previous_state, "integrated");
  assert.equal(change.data.previous_urssaf_code, "10");

  const { data: feed, error } = await api.GET("/v1/events", { params: { query: { limit: 100 } } });
  assert.ok(feed, JSON.stringify(error));
  const listed = feed.events.filter((e) => e.id === change.id);
  assert.equal(listed.length, 1);
  const item = listed[0];
  assert.ok(item && item.type === "payment_request.status_changed");
  assert.equal(item.data.status.state, change.data.status.state);
  assert.equal(item.data.previous_state, "integrated");
  assert.ok(item.cursor);

  const { data: page, error: e2 } = await api.GET("/v1/webhook-deliveries", {
    params: { query: { status: "delivered", limit: 100 } },
  });
  assert.ok(page, JSON.stringify(e2));
  const sent = page.deliveries.find((d) => d.id === change.id)?.payload;
  assert.ok(sent && sent.type === "payment_request.status_changed");
  assert.equal(sent.data.previous_state, "integrated");
});
