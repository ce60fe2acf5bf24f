// Black Friday checkout journey against the sandbox app: browse the catalog, add to cart, check
// out. Written against the k6 API (typed by @types/k6): it runs unchanged under `k6 run` and
// under faultline (`faultline load experiments/load/checkout.ts --env BASE_URL=...`, or as
// `traffic.script` in an experiment, where BASE_URL is the sandbox's global load balancer).
//
// The sandbox app is a key-value store: catalog reads are GETs of product keys, a cart add is a
// PUT of the shopper's cart key, and checkout is a PUT of an order key. Every PUT carries a unique
// writeId, so faultline can tell whether an acknowledged order was lost in a failover.
import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import exec from 'k6/execution';

const BASE = __ENV.BASE_URL || __ENV.GLB || 'http://127.0.0.1:8080';
const PRODUCTS = Number(__ENV.PRODUCTS || 20);
const THINK = Number(__ENV.THINK_SECONDS || 0.2);

const ordersPlaced = new Counter('orders_placed');
const orderOk = new Rate('order_success');
const checkoutTime = new Trend('checkout_journey', true);

export const options = {
  scenarios: {
    shoppers: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 20),
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: 20,
      maxVUs: 100,
      gracefulStop: '5s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.05'],
    'http_req_duration{name:browse}': ['p(95)<500'],
    'http_req_duration{name:checkout}': ['p(95)<1000'],
    order_success: [{ threshold: 'rate>0.95', abortOnFail: false }],
    checks: ['rate>0.95'],
  },
};

interface SetupData {
  products: string[];
}

const jsonHeaders = { 'Content-Type': 'application/json' };

function writeId(kind: string): string {
  return `${kind}-${exec.scenario.name}-${__VU}-${__ITER}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
}

export function setup(): SetupData {
  const products: string[] = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const key = `product-${i}`;
    const res = http.put(`${BASE}/kv/${key}`, JSON.stringify({ writeId: writeId('seed'), value: { name: `Product ${i}`, price: 10 + i } }), {
      headers: jsonHeaders,
      tags: { name: 'seed' },
    });
    check(res, { 'catalog seeded': (r) => r.status === 200 });
    products.push(key);
  }
  return { products };
}

function browse(products: string[]): string {
  const picked = products[Math.floor(Math.random() * products.length)];
  const res = http.get(`${BASE}/kv/${picked}`, { tags: { name: 'browse' } });
  check(res, {
    'product found': (r) => r.status === 200,
    'served by a region': (r) => r.headers['X-Faultline-Region'] !== undefined,
  });
  return picked;
}

function addToCart(cartKey: string, product: string): boolean {
  const res = http.put(`${BASE}/kv/${cartKey}`, JSON.stringify({ writeId: writeId('cart'), value: { product, qty: 1 } }), {
    headers: jsonHeaders,
    tags: { name: 'add_to_cart' },
  });
  return check(res, { 'added to cart': (r) => r.status === 200 });
}

function checkout(cartKey: string): boolean {
  const orderKey = `order-${__VU}-${__ITER}`;
  const res = http.put(`${BASE}/kv/${orderKey}`, JSON.stringify({ writeId: writeId('order'), value: { cart: cartKey } }), {
    headers: jsonHeaders,
    tags: { name: 'checkout' },
  });
  const ok = check(res, {
    'order accepted': (r) => r.status === 200,
    'order acknowledged with its writeId': (r) => r.status === 200 && typeof (r.json() as { writeId?: string }).writeId === 'string',
  });
  orderOk.add(ok);
  if (ok) ordersPlaced.add(1);
  return ok;
}

export default function (data: SetupData) {
  const started = Date.now();
  const cartKey = `cart-${__VU}`;
  let product = '';
  group('browse catalog', () => {
    for (let i = 0; i < 3; i++) {
      product = browse(data.products);
      sleep(THINK / 3);
    }
  });
  const added = group('add to cart', () => addToCart(cartKey, product));
  sleep(THINK);
  if (added) group('check out', () => checkout(cartKey));
  checkoutTime.add(Date.now() - started);
}
