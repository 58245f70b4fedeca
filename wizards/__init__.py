from . import visit_plan_cancel_wizard
from . import visit_outcome_wizard
from . import visit_review_wizard
from . import visit_batch_wizard
from . import visit_public_letter_wizard
from . import sms_composer
from . import visit_erase_wizard
