from . import visit_ledger
