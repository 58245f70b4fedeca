from . import visit_ledger
from . import visit_ledger_xlsx
from . import visit_monthly_report
