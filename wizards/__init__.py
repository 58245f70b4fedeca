from . import visit_plan_cancel_wizard
