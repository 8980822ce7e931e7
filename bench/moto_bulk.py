"""scripts/moto_dynamodb.py for the import benchmarks: the same server, except for costs that
grow with the table and make an import (10,000 customers, a shop's catalog) measure moto, not
Gatehouse.

- moto deep-copies every table a TransactWriteItems names, before each transaction, to roll it
  back if it fails. `gatehouse import` writes each customer in a transaction of its own, so an
  import costs the square of the table's size: 1,000 customers took 3 minutes and then timed
  out. (A copy of the items' index instead still held 7 GiB at 10,000 customers, and moto's
  pauses then outlasted the SDK's timeouts.) The benchmark's transactions are puts and deletes
  that never fail, so here they make no backup: a failed one would not be rolled back.
- every Query sorts every item of the table (`Table.all_items`) before it picks the partition
  it asked for, so each listing query at the end of an import sorts the 20,000 customer items.
  Here the items come unsorted: a Query sorts what it keeps.
- and every Query page walks every item of the table to find its partition's, sorts the
  partition, then steps over the items before ExclusiveStartKey: a page costs the table's
  size, and reading a list costs the square of its length. The catalog is a partition a list
  (all SKUs, each listing, each price list's prices, each location's stock items), and an
  import reads every list: on the small catalog (24,000 items) with the serializer below, a
  200-item page took about a quarter of a second, and 8 lists read at once queued each page
  past the SDK's 2 s attempt timeout (the one-price change failed: "no answer in time").
  Here a Query on the table itself (no index or QueryFilter) keeps each partition's
  keys sorted (sorted again only after a write to that partition), finds where the page starts
  by bisection and reads the page's items only, as DynamoDB reads a partition. Its answer is
  moto's own, item for item: the same key conditions (moto's `compare`), Limit, 1 MB page and
  LastEvaluatedKey.
- moto 5.2 writes a Query's answer through its generic serializer, which walks the API's shape
  for every attribute of every item: about 1 ms an item, 0.2 s for a 200-item page, outside
  the handler (measured on the small catalog). Here a Query's answer is written as moto wrote
  it before that serializer (`dynamo_json_dump`): the same JSON, in a fraction of the time.

For the benchmark only: the tests use scripts/moto_dynamodb.py as it is.

Usage: python3 bench/moto_bulk.py PORT
"""

import bisect
import copy
import inspect
import os
import runpy
import threading

from moto.core.responses import ActionResult
from moto.dynamodb import models
from moto.dynamodb.models.utilities import dynamo_json_dump
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table


class _NoBackupOfTables:
    """`copy` as moto's DynamoDB models see it: a table "copied" for a transaction's backup is
    the table itself; everything else is copied as the copy module does it."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _all_items_unsorted(table):
    items = []
    for entries in table.items.values():
        items.extend(entries.values() if table.range_key_attr else [entries])
    return items


# Each partition's items sorted by range key, by table, as long as no write changed it.
_sorted = {}
_sorted_lock = threading.Lock()


def _forget(table, hash_value):
    with _sorted_lock:
        _sorted.get(id(table), {}).pop(hash_value, None)


def _partition_sorted(table, hash_value):
    """(range keys, items) of one partition, in range key order."""
    with _sorted_lock:
        kept = _sorted.setdefault(id(table), {}).get(hash_value)
    if kept is None:
        entries = table.items.get(hash_value) or {}  # .get: table.items is a defaultdict
        pairs = sorted(entries.items(), key=lambda pair: pair[0])
        kept = ([key for key, _ in pairs], [item for _, item in pairs])
        with _sorted_lock:
            _sorted[id(table)][hash_value] = kept
    return kept


_put_item = Table.put_item
_delete_item = Table.delete_item


def _put_item_forgetting(self, item_attrs, *args, **kwargs):
    item = _put_item(self, item_attrs, *args, **kwargs)
    _forget(self, item.hash_key)
    return item


def _delete_item_forgetting(self, hash_key, range_key):
    item = _delete_item(self, hash_key, range_key)
    _forget(self, hash_key)
    return item


# Where a forward page may start, for a key condition: before that no item can match.
# (moto names a key condition's comparison by its operator; the older API by its name.)
_LOWER_BOUND = {">": bisect.bisect_right, "GT": bisect.bisect_right,
                ">=": bisect.bisect_left, "GE": bisect.bisect_left,
                "=": bisect.bisect_left, "EQ": bisect.bisect_left,
                "BETWEEN": bisect.bisect_left, "BEGINS_WITH": bisect.bisect_left}
# Conditions that no item after the first one past them matches.
_UPPER_BOUNDED = {"=", "EQ", "<", "LT", "<=", "LE", "BETWEEN", "BEGINS_WITH"}
_COMPARISONS = set(_LOWER_BOUND) | _UPPER_BOUNDED

_query = Table.query
_query_signature = inspect.signature(_query)


def _query_of_partition(self, *args, **kwargs):
    """moto's Table.query for a table's key condition alone, reading only the page."""
    bound = _query_signature.bind(self, *args, **kwargs)
    bound.apply_defaults()
    a = bound.arguments
    hash_key, comparison, objects = a["hash_key"], a["range_comparison"], a["range_objs"]
    if (a["index_name"] or hash_key is None or self.range_key_attr is None
            or a["filter_kwargs"]
            or len(a.get("range_key_conditions") or []) > 1
            or (comparison and comparison not in _COMPARISONS)):
        return _query(self, *args, **kwargs)
    keys, items = _partition_sorted(self, hash_key)
    forward = a["scan_index_forward"] is not False
    start = a["exclusive_start_key"]
    start_key = DynamoType(start[self.range_key_attr]) if start else None
    if forward:
        position = bisect.bisect_right(keys, start_key) if start_key is not None else 0
        if comparison in _LOWER_BOUND:
            position = max(position, _LOWER_BOUND[comparison](keys, objects[0]))
        order = range(position, len(items))
    else:
        position = bisect.bisect_left(keys, start_key) if start_key is not None else len(keys)
        order = range(position - 1, -1, -1)
    limit = a["limit"]
    results, result_size, last_evaluated_key = [], 0, None
    for index in order:
        item = items[index]
        # moto's order: the limits first, then the condition.
        if len(results) == limit or result_size + item.size() > RESULT_SIZE_LIMIT:
            last_evaluated_key = self._get_last_evaluated_key(results[-1], None)
            break
        if comparison and not item.range_key.compare(comparison, objects):
            if forward and comparison in _UPPER_BOUNDED:
                break
            continue
        results.append(item)
        result_size += item.size()
    scanned = len(results)
    results = copy.deepcopy(results)
    if a["filter_expression"] is not None:  # moto's: after the page is cut
        results = [item for item in results if a["filter_expression"].expr(item)]
    if a["projection_expressions"]:
        results = [item.project(a["projection_expressions"]) for item in results]
    return results, scanned, last_evaluated_key


_handler_query = DynamoHandler.query


def _query_answered_as_json(self):
    answer = _handler_query(self)
    if isinstance(answer, ActionResult) and isinstance(answer.result, dict):
        return dynamo_json_dump(answer.result)
    return answer


models.copy = _NoBackupOfTables()
DynamoHandler.query = _query_answered_as_json
Table.all_items = _all_items_unsorted
Table.put_item = _put_item_forgetting
Table.delete_item = _delete_item_forgetting
Table.query = _query_of_partition

runpy.run_path(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "moto_dynamodb.py"),
    run_name="__main__",
)
