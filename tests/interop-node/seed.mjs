// The seeds the Commerce Layer tests hand `gatehouse serve --seed`, and what a token of a given
// scope should see of them, worked out here from the seed alone (never from an answer of the
// server): the records, their attributes as the API names them, the list orders, filters and
// pages as Commerce Layer documents them.

import { readFileSync } from 'node:fs';
import path from 'node:path';

import { REPO } from './support.mjs';

export function demoSeed() {
  return JSON.parse(readFileSync(path.join(REPO, 'demo', 'seed.json'), 'utf8'));
}

/**
 * The demo seed plus enough catalog to make every filter, sort and page case of the SDK tests
 * tell something apart: names that differ only by case, an empty and a blank name, a name and
 * a code that both contain HOODIE, SKUs priced but not stocked in Europe (and the reverse),
 * prices either side of the demo's amounts, and a live SKU no test token may see.
 */
export function catalogSeed() {
  const seed = demoSeed();
  const sku = (id, code, name, mode = 'test') => ({ id, mode, code, name });
  seed.skus.push(
    sku('sku_hoodie_l', 'HOODIE-GRY-L', 'Grey hoodie (L)'),
    sku('sku_hoodie_xl', 'HOODIE-GRY-XL', 'Grey Hoodie (XL)'),
    sku('sku_mug_blk', 'MUG-BLK', 'Black mug'),
    sku('sku_socks', 'SOCKS-WHT', 'White socks'),
    sku('sku_poster', 'POSTER-A2', ''),
    sku('sku_sticker', 'STICKER-01', '   '),
    sku('sku_patch', 'PATCH-01', 'Iron-on HOODIE patch'),
    ...Array.from({ length: 8 }, (_, i) => sku(`sku_pin_${i}`, `PIN-0${i}`, `Enamel pin ${i}`)),
    sku('sku_live_scarf', 'SCARF-LIVE', 'Live scarf', 'live'),
  );
  const price = (id, skuCode, priceList, amountCents, mode = 'test') =>
    ({ id, mode, sku_code: skuCode, price_list_id: priceList, amount_cents: amountCents });
  seed.prices.push(
    price('pr_hoodie_l_eur', 'HOODIE-GRY-L', 'pl_eur', 4500),
    price('pr_hoodie_xl_eur', 'HOODIE-GRY-XL', 'pl_eur', 4700),
    price('pr_hoodie_l_usd', 'HOODIE-GRY-L', 'pl_usd', 4900),
    price('pr_mug_blk_eur', 'MUG-BLK', 'pl_eur', 1200),
    price('pr_socks_usd', 'SOCKS-WHT', 'pl_usd', 800),
    price('pr_poster_eur', 'POSTER-A2', 'pl_eur', 1500),
    price('pr_sticker_eur', 'STICKER-01', 'pl_eur', 199),
    price('pr_patch_vip', 'PATCH-01', 'pl_vip', 350),
    ...Array.from({ length: 8 }, (_, i) => price(`pr_pin_${i}_eur`, `PIN-0${i}`, 'pl_eur', 300 + 25 * i)),
    price('pr_live_scarf', 'SCARF-LIVE', 'pl_live_eur', 3000, 'live'),
  );
  const stock = (id, skuCode, location, quantity, mode = 'test') =>
    ({ id, mode, sku_code: skuCode, stock_location_number: location, quantity });
  seed.stock_items.push(
    stock('si_hoodie_l_ber', 'HOODIE-GRY-L', 102, 7),
    stock('si_hoodie_xl_nyc', 'HOODIE-GRY-XL', 103, 3), // priced in Europe, stocked only in New York
    stock('si_hoodie_l_nyc', 'HOODIE-GRY-L', 103, 0),
    stock('si_mug_blk_ams', 'MUG-BLK', 101, 25),
    stock('si_socks_ams', 'SOCKS-WHT', 101, 60), // stocked in Amsterdam, priced only in the US
    stock('si_poster_ber', 'POSTER-A2', 102, 1),
    stock('si_patch_ams', 'PATCH-01', 101, 100),
    ...Array.from({ length: 8 }, (_, i) => stock(`si_pin_${i}_ams`, `PIN-0${i}`, i % 2 ? 101 : 102, i * 3)),
    stock('si_live_scarf', 'SCARF-LIVE', 201, 4, 'live'),
  );
  return seed;
}

/** Text compared by its bytes (every text of these seeds is ASCII), numbers as numbers. */
function order(a, b) {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * What a token sees of `seed`'s catalog: `market` null (an integration: market:all) or the
 * number of its market. Each list in the API's own order, each record `{ id, ...attributes }`
 * with the attributes Gatehouse's API names, with Commerce Layer's meaning.
 */
export function visibleTo(seed, { mode = 'test', market: marketNumber = null, locations: narrowedTo = null } = {}) {
  const locations = seed.stock_locations.filter((l) => l.mode === mode);
  const locationId = (number) => locations.find((l) => l.number === number).id;
  const market = marketNumber === null ? null : seed.markets.find((m) => m.mode === mode && m.number === marketNumber);
  if (marketNumber !== null && !market) throw new Error(`no ${mode} market ${marketNumber} in the seed`);

  const markets = seed.markets
    .filter((m) => m.mode === mode && (!market || m.id === market.id))
    .map((m) => ({
      id: m.id, number: m.number, code: m.code, name: m.name, active: m.active,
      price_list_id: m.price_list_id, stock_location_ids: m.stock_location_numbers.map(locationId),
    }))
    .sort((a, b) => order(a.number, b.number));
  const prices = seed.prices
    .filter((p) => p.mode === mode && (!market || p.price_list_id === market.price_list_id))
    .map((p) => ({ id: p.id, sku_code: p.sku_code, price_list_id: p.price_list_id, amount_cents: p.amount_cents }))
    .sort((a, b) => order(a.sku_code, b.sku_code) || order(a.price_list_id, b.price_list_id));
  const stockItems = seed.stock_items
    .filter((s) => s.mode === mode && (!market || (narrowedTo ?? market.stock_location_numbers).includes(s.stock_location_number)))
    .map((s) => ({
      id: s.id, sku_code: s.sku_code, stock_location_id: locationId(s.stock_location_number),
      stock_location_number: s.stock_location_number, quantity: s.quantity,
    }))
    .sort((a, b) => order(a.stock_location_number, b.stock_location_number) || order(a.sku_code, b.sku_code));
  // A market sells a SKU that has a price in its price list and a stock item at one of its
  // stock locations, whatever the quantity.
  const skus = seed.skus
    .filter((s) => s.mode === mode)
    .filter((s) => !market || (prices.some((p) => p.sku_code === s.code) && stockItems.some((i) => i.sku_code === s.code)))
    .map((s) => ({ id: s.id, code: s.code, name: s.name }))
    .sort((a, b) => order(a.code, b.code));
  return { markets, skus, prices, stock_items: stockItems };
}

/** The attributes each type's records carry, as `fields[type]` names them. */
export const ATTRIBUTES = {
  markets: ['active', 'code', 'name', 'number', 'price_list_id', 'stock_location_ids'],
  skus: ['code', 'name'],
  prices: ['amount_cents', 'price_list_id', 'sku_code'],
  stock_items: ['quantity', 'sku_code', 'stock_location_id', 'stock_location_number'],
};

// Commerce Layer's (Ransack's) predicates; a name is read with the longest one it ends with.
const PREDICATES = ['not_null', 'present', 'not_eq', 'not_in', 'i_cont', 'start', 'blank', 'false',
  'lteq', 'gteq', 'cont', 'null', 'true', 'end', 'eq', 'in', 'lt', 'gt'];

function isPresent(value) {
  return value !== null && value !== undefined && String(value).trim() !== '';
}

/** Whether `value` passes `predicate` with `operand` (as the SDK was given it). */
function holds(value, predicate, operand) {
  const same = (o) => (typeof value === 'number' ? value === Number(o)
    : typeof value === 'boolean' ? value === (o === true || o === 'true') : value === String(o));
  const compare = (o) => order(value, typeof value === 'number' ? Number(o) : String(o));
  const list = Array.isArray(operand) ? operand : String(operand).split(',');
  const flag = operand === true || operand === 'true';
  switch (predicate) {
    case 'eq': return same(operand);
    case 'not_eq': return !same(operand);
    case 'in': return list.some(same);
    case 'not_in': return !list.some(same);
    case 'start': return String(value).startsWith(operand);
    case 'end': return String(value).endsWith(operand);
    case 'cont': return String(value).includes(operand);
    case 'i_cont': return String(value).toLowerCase().includes(String(operand).toLowerCase());
    case 'lt': return compare(operand) < 0;
    case 'lteq': return compare(operand) <= 0;
    case 'gt': return compare(operand) > 0;
    case 'gteq': return compare(operand) >= 0;
    case 'null': return (value === null || value === undefined) === flag;
    case 'not_null': return (value !== null && value !== undefined) === flag;
    case 'present': return isPresent(value) === flag;
    case 'blank': return !isPresent(value) === flag;
    case 'true': return (value === true) === flag;
    case 'false': return (value === false) === flag;
    default: throw new Error(`no predicate ${predicate}`);
  }
}

/** `filter[q][name]=operand`: the predicate holds for one of the `_or_`-joined attributes. */
function admits(record, name, operand) {
  const predicate = PREDICATES.find((p) => name.endsWith(`_${p}`));
  if (!predicate) throw new Error(`filter ${name} ends with no predicate`);
  const attributes = name.slice(0, -(predicate.length + 1)).split('_or_');
  return attributes.some((attribute) => {
    if (!(attribute in record)) throw new Error(`filter ${name}: the records have no ${attribute}`);
    return holds(record[attribute], predicate, operand);
  });
}

/**
 * The page an SDK `list(params)` should get from `records` (one list of `visibleTo`): every
 * filter holding, sorted by `sort` (`{ attribute: 'asc' | 'desc' }`, the first key first; ties
 * keep the list's order), then page `pageNumber` (from 1) of `pageSize` (10 by default).
 */
export function expectedPage(records, { filters = {}, sort = {}, pageNumber = 1, pageSize = 10 } = {}) {
  const kept = records.filter((r) => Object.entries(filters).every(([name, operand]) => admits(r, name, operand)));
  const keys = Object.entries(sort);
  const sorted = [...kept].sort((a, b) => {
    for (const [attribute, direction] of keys) {
      const o = order(a[attribute], b[attribute]);
      if (o) return direction === 'desc' ? -o : o;
    }
    return 0;
  });
  const start = (pageNumber - 1) * pageSize;
  return {
    records: sorted.slice(start, start + pageSize),
    recordCount: kept.length,
    pageCount: Math.ceil(kept.length / pageSize),
  };
}
