"""The four aspects become items of the scripts (18.0.1.10.0).

Every type rated them: each gets the four items after its script, worded as
shipped in every language installed. Every visit gets one answer per aspect
holding the level it has (empty where not rated), in one INSERT: the
visit's columns already hold those levels, nothing is recomputed, and every
figure stays as it was. Signed visits keep their hash: their aspects are
signed as the visit's satisfaction, never as answers (see
visit.record._signed_values).
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Type = env["visit.type"].with_context(active_test=False)
    Question = env["visit.type.question"].with_context(active_test=False)
    created = Question
    for visit_type in Type.search([]):
        script = visit_type.question_ids
        if script.filtered("aspect"):
            continue
        start = max([100, *(question.sequence + 1 for question in script)])
        values = []
        for index, command in enumerate(Type._aspect_item_commands()):
            values.append(
                dict(command[2], type_id=visit_type.id, sequence=start + index)
            )
        created |= Question.create(values)
    created._name_aspect_items()
    env.flush_all()
    cr.execute(
        """
        INSERT INTO visit_answer (record_id, question_id, company_id, sequence,
                                  answer_kind, is_skipped, value_level,
                                  create_uid, create_date, write_uid, write_date)
        SELECT rec.id, question.id, rec.company_id, question.sequence,
               'scale4', FALSE,
               CASE question.aspect
                    WHEN 'product' THEN rec.satisfaction_product
                    WHEN 'service' THEN rec.satisfaction_service
                    WHEN 'timeliness' THEN rec.satisfaction_timeliness
                    ELSE rec.satisfaction_result
               END,
               %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
          FROM visit_record rec
          JOIN visit_type_question question
            ON question.type_id = rec.type_id
           AND question.aspect IS NOT NULL
           AND question.active
        ON CONFLICT (record_id, question_id) DO NOTHING
        """,
        {"uid": SUPERUSER_ID},
    )
    cr.execute("ANALYZE visit_answer")
