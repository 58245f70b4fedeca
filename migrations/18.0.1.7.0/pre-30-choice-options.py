"""Keep the choice questions' text as it was before the upgrade.

``post-30`` makes options from ``choice_options`` / ``problem_choice`` and
links the answers to them; Odoo then drops those columns with their fields.
The text is first copied, once and as stored, into two tables the addon
keeps: ``customer_visit_legacy_choice`` (each choice question's lines and
problem choice, every language) and ``customer_visit_legacy_choice_answer``
(the text of every choice answer).
"""

from odoo.tools import SQL
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "visit_type_question", "choice_options"):
        return
    problem = (
        SQL.identifier("problem_choice")
        if column_exists(cr, "visit_type_question", "problem_choice")
        else SQL("NULL::jsonb")
    )
    cr.execute(
        """
        CREATE TABLE IF NOT EXISTS customer_visit_legacy_choice (
            question_id integer PRIMARY KEY,
            choice_options jsonb,
            problem_choice jsonb
        );
        CREATE TABLE IF NOT EXISTS customer_visit_legacy_choice_answer (
            answer_id integer PRIMARY KEY,
            record_id integer,
            question_id integer,
            value_text text
        )
        """
    )
    cr.execute(
        SQL(
            """
            INSERT INTO customer_visit_legacy_choice
                 SELECT id, choice_options, %s
                   FROM visit_type_question
                  WHERE answer_kind = 'choice'
            ON CONFLICT (question_id) DO NOTHING
            """,
            problem,
        )
    )
    cr.execute(
        """
        INSERT INTO customer_visit_legacy_choice_answer
             SELECT answer.id, answer.record_id, answer.question_id,
                    answer.value_text
               FROM visit_answer answer
               JOIN visit_type_question question
                 ON question.id = answer.question_id
              WHERE question.answer_kind = 'choice'
                AND answer.value_text IS NOT NULL
        ON CONFLICT (answer_id) DO NOTHING
        """
    )
