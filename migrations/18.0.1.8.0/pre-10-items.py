"""Evaluation items (18.0.1.8.0): fill the new stored columns in SQL, as
the ORM would compute them row by row (a million answers, a hundred
thousand visits), and drop the targets' index so that the update makes it
with the item in it."""


def migrate(cr, version):
    if not version:
        return
    # The kind of the question each answer was given to (a stored related).
    cr.execute(
        """
        ALTER TABLE visit_answer ADD COLUMN IF NOT EXISTS answer_kind varchar;
        UPDATE visit_answer AS answer
           SET answer_kind = question.answer_kind
          FROM visit_type_question AS question
         WHERE question.id = answer.question_id
           AND answer.answer_kind IS DISTINCT FROM question.answer_kind
        """
    )
    # A low score: an aspect below satisfied, or 1 to 3 stars (the 4-level
    # and 0-10 items are new: no answer has them yet).
    cr.execute(
        """
        ALTER TABLE visit_record ADD COLUMN IF NOT EXISTS has_low_score boolean;
        UPDATE visit_record AS rec
           SET has_low_score =
                   rec.satisfaction_product IN ('basically_satisfied', 'unsatisfied')
                OR rec.satisfaction_service IN ('basically_satisfied', 'unsatisfied')
                OR rec.satisfaction_timeliness IN ('basically_satisfied', 'unsatisfied')
                OR rec.satisfaction_result IN ('basically_satisfied', 'unsatisfied')
                OR EXISTS (
                       SELECT 1
                         FROM visit_answer AS answer
                        WHERE answer.record_id = rec.id
                          AND answer.answer_kind = 'rating'
                          AND answer.value_rating BETWEEN 1 AND 3
                   )
        """
    )
    cr.execute(
        """
        UPDATE visit_record SET has_low_score = FALSE WHERE has_low_score IS NULL
        """
    )
    cr.execute("DROP INDEX IF EXISTS visit_target_indicator_uniq")
