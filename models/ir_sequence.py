from odoo import models

# Core names the PostgreSQL sequence behind a "standard" ir.sequence
# ``ir_sequence_%03d`` (ir_sequence.py: _create_sequence, _next_do). The
# adapter below relies on that name; tests/test_house_framework.py fails
# when core changes it.
STANDARD_SEQUENCE_NAME = "ir_sequence_%03d"


class IrSequence(models.Model):
    _inherit = "ir.sequence"

    def _visit_next_batch(self, days):
        """Adapter: the next ``len(days)`` numbers of this sequence, each
        formatted as ``next_by_id(sequence_date=day)`` formats it.

        Core draws one number per call (one query each); the Generate cron
        numbers thousands of visits per batch. A standard sequence without
        date ranges is a PostgreSQL sequence, so its numbers are drawn in one
        statement; any other sequence (no gap, date ranges) goes through
        ``next_by_id``, one by one, unchanged.
        """
        self.ensure_one()
        if self.implementation != "standard" or self.use_date_range:
            return [self.next_by_id(sequence_date=day) for day in days]
        self.browse().check_access("read")
        self.env.cr.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            [STANDARD_SEQUENCE_NAME % self.id, len(days)],
        )
        affixes = {}  # the prefix depends on the day at most: once per day
        names = []
        for day, (number,) in zip(days, self.env.cr.fetchall(), strict=True):
            if day not in affixes:
                affixes[day] = self._get_prefix_suffix(date=day)
            prefix, suffix = affixes[day]
            names.append(f"{prefix}{number:0{self.padding}d}{suffix}")
        return names
