from . import test_visit_record
from . import test_visit_plan
from . import test_access
from . import test_links
from . import test_i18n
from . import test_tour
