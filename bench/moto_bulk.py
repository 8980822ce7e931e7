"""scripts/moto_dynamodb.py for the import benchmark: the same server, except for two costs
that grow with the table and make an import of 10,000 customers measure moto, not Gatehouse.

- moto deep-copies every table a TransactWriteItems names, before each transaction, to roll it
  back if it fails. `gatehouse import` writes each customer in a transaction of its own, so an
  import costs the square of the table's size: 1,000 customers took 3 minutes and then timed
  out. (A copy of the items' index instead still held 7 GiB at 10,000 customers, and moto's
  pauses then outlasted the SDK's timeouts.) The benchmark's transactions are puts and deletes
  that never fail, so here they make no backup: a failed one would not be rolled back.
- every Query sorts every item of the table (`Table.all_items`) before it picks the partition
  it asked for, so each listing query at the end of an import sorts the 20,000 customer items.
  Here the items come unsorted: a Query sorts what it keeps.

For the benchmark only: the tests use scripts/moto_dynamodb.py as it is.

Usage: python3 bench/moto_bulk.py PORT
"""

import copy
import os
import runpy

from moto.dynamodb import models
from moto.dynamodb.models.table import Table


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


models.copy = _NoBackupOfTables()
Table.all_items = _all_items_unsorted

runpy.run_path(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "moto_dynamodb.py"),
    run_name="__main__",
)
