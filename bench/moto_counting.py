"""bench/moto_bulk.py (scripts/moto_dynamodb.py for bulk imports) that also counts the writes
it applies, for the catalog benchmark: `gatehouse import` asks for no consumed capacity, so
the write units are counted where the writes land.

Every item put, deleted or updated (alone, in a BatchWriteItem or in a transaction) counts,
per table: its items and its write units as on-demand DynamoDB bills them, one unit per
started KB of the larger of the item before and after the write (a delete: of the item
deleted; a write to no item: one unit). An item's size is moto's (`Item.size()`: attribute
names' bytes plus values' bytes), close to DynamoDB's own rule. A transaction's writes count
twice, as DynamoDB bills them (its two-phase protocol).

One more difference, for reads: a Query answers at most 200 items a page (and its
LastEvaluatedKey), where DynamoDB stops a page at 1 MB. moto 5 serializes a response at about
2 ms an item, so rebuilding listings from a canonical partition of 5,000 items answered in one
page took 8.5 s, past the SDK's 2 s attempt timeout; `gatehouse import` follows
LastEvaluatedKey as it must for DynamoDB's own pages, so smaller pages change no result.
(bench/moto_bulk.py now reads a Query's page from its partition alone and writes its answer
without moto's serializer, so a 200-item page takes milliseconds; the limit stays, harmless.)

Reads count too, as on-demand DynamoDB bills them: a GetItem or each key of a BatchGetItem one
unit per started 4 KB of the item, a Query one unit per started 4 KB of all the items it
returns; half that for an eventually consistent read (the request's `ConsistentRead`, read here
from the request's body), twice that in a TransactGetItems. A TransactWriteItems's writes count
twice here, as DynamoDB bills them, and each ConditionCheck part one write unit per started KB
of the item it checks, twice.

`GET /_bench/writes` answers the counts so far, by table, as JSON, with each table's items and
bytes now (the sum of its items' sizes: moto leaves DescribeTable's TableSizeBytes at 0);
everything else is moto.

Usage: python3 bench/moto_counting.py PORT
"""

import io
import json
import os
import runpy
import threading

import werkzeug.serving
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

KB = 1024
QUERY_PAGE_ITEMS = 200
READ_UNIT = 4 * KB
READS = ("GetItem", "BatchGetItem", "TransactGetItems", "Query")
counts = {}
lock = threading.Lock()
# moto's update of an absent item puts its key first, then updates it: one write, not two.
updating = threading.local()
# The request being answered on this thread: its operation and body (DynamoDB JSON).
answering = threading.local()


def units(*sizes):
    return max(1, -(-max(sizes) // KB))


def operation():
    return getattr(answering, "operation", None)


def table_figures(table):
    return counts.setdefault(table, {"puts": 0, "deletes": 0, "updates": 0, "write_units": 0,
                                     "bytes_written": 0, "reads": 0, "read_units": 0.0})


def count(table, kind, before, after):
    transaction = 2 if operation() == "TransactWriteItems" else 1
    with lock:
        figures = table_figures(table)
        figures[kind] += 1
        figures["write_units"] += units(before, after) * transaction
        figures["bytes_written"] += after


def consistent(table):
    """Whether the request on this thread asked `table` for strongly consistent reads."""
    body = getattr(answering, "body", {})
    if operation() == "BatchGetItem":
        return bool(body.get("RequestItems", {}).get(table, {}).get("ConsistentRead"))
    return operation() == "TransactGetItems" or bool(body.get("ConsistentRead"))


def count_read(table, items):
    """One read request's items (a GetItem's one, or a Query's page) and its read units."""
    if operation() not in READS:
        return  # a read moto makes for its own purposes (a condition, an update)
    read_bytes = sum(size(item) for item in items)
    started = max(1, -(-read_bytes // READ_UNIT))
    factor = {"TransactGetItems": 2.0}.get(operation(), 1.0 if consistent(table) else 0.5)
    with lock:
        figures = table_figures(table)
        figures["reads"] += len(items)
        figures["read_units"] += started * factor


def size(item):
    return item.size() if item is not None else 0


def existing(table, attrs):
    """The item that a write of `attrs` (key attributes in DynamoDB JSON) replaces, if any."""
    hash_value = attrs.get(table.hash_key_attr)
    range_value = attrs.get(table.range_key_attr) if table.range_key_attr else None
    if hash_value is None or (table.range_key_attr and range_value is None):
        return None  # moto refuses the write itself, with its own error
    return table.get_item(DynamoType(hash_value),
                          DynamoType(range_value) if range_value is not None else None)


_put_item = Table.put_item
_delete_item = Table.delete_item
_update_item = DynamoDBBackend.update_item


def put_item(self, item_attrs, *args, **kwargs):
    before = size(existing(self, item_attrs))
    item = _put_item(self, item_attrs, *args, **kwargs)
    if not getattr(updating, "active", False):
        count(self.name, "puts", before, size(item))
    return item


def delete_item(self, hash_value, range_value):
    item = _delete_item(self, hash_value, range_value)
    count(self.name, "deletes", size(item), 0)
    return item


def update_item(self, table_name, key, *args, **kwargs):
    table = self.get_table(table_name)
    before = size(existing(table, key))
    updating.active = True
    try:
        item = _update_item(self, table_name, key, *args, **kwargs)
    finally:
        updating.active = False
    count(table_name, "updates", before, size(item))
    return item


_query = DynamoDBBackend.query
_get_item = DynamoDBBackend.get_item


def query(self, table_name, hash_key_dict, range_comparison, range_value_dicts, limit,
          *args, **kwargs):
    limit = min(limit or QUERY_PAGE_ITEMS, QUERY_PAGE_ITEMS)
    answer = _query(self, table_name, hash_key_dict, range_comparison, range_value_dicts, limit,
                    *args, **kwargs)
    count_read(table_name, answer[0])
    return answer


def get_item(self, table_name, keys, *args, **kwargs):
    item = _get_item(self, table_name, keys, *args, **kwargs)
    count_read(table_name, [item] if item is not None else [])
    return item


def count_condition_checks(body):
    """A transaction's ConditionCheck parts: billed as transactional writes of the item checked."""
    for part in body.get("TransactItems", []):
        check = part.get("ConditionCheck")
        if not check:
            continue
        for regions in dynamodb_backends.values():
            for backend in regions.values():
                table = backend.tables.get(check.get("TableName"))
                if table is not None:
                    with lock:
                        table_figures(table.name)["write_units"] += units(
                            size(existing(table, check.get("Key", {})))) * 2


DynamoDBBackend.query = query
DynamoDBBackend.get_item = get_item
Table.put_item = put_item
Table.delete_item = delete_item
DynamoDBBackend.update_item = update_item

def figures():
    """The counts so far and every table's items and bytes now, by table."""
    out = {}
    for regions in dynamodb_backends.values():  # by account, then by region
        for backend in regions.values():
            for name, table in backend.tables.items():
                items = table.all_items()
                out[name] = {**counts.get(name, {}), "items": len(items),
                             "bytes": sum(item.size() for item in items)}
    return out


_run_simple = werkzeug.serving.run_simple


def run_simple(host, port, app, **kwargs):
    def counted(environ, start_response):
        if environ.get("PATH_INFO") == "/_bench/writes":
            with lock:
                body = json.dumps(figures()).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        answering.operation = target.rpartition(".")[2] or None
        answering.body = {}
        if answering.operation:
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(raw)
            try:
                answering.body = json.loads(raw or b"{}")
            except ValueError:
                pass
            if answering.operation == "TransactWriteItems":
                count_condition_checks(answering.body)
        return app(environ, start_response)

    return _run_simple(host, port, counted, **kwargs)


werkzeug.serving.run_simple = run_simple

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "moto_bulk.py"),
               run_name="__main__")
