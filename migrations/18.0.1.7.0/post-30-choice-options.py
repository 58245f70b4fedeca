"""A choice question's choices become records (``visit.question.option``).

Up to 18.0.1.6.0 a choice question kept its choices as translated text, one
per line (``choice_options``, a jsonb of ``{lang: "a\\nb"}``), the choice
that raises a problem as translated text (``problem_choice``), and an
answer the chosen text (``visit_answer.value_text``), in the language of
whoever answered. Those columns are read here; Odoo drops them at the end
of the update, so pre-30 first copies them, as they were, into the tables
``customer_visit_legacy_choice`` and ``customer_visit_legacy_choice_answer``
(kept: nothing stored before the upgrade is lost).

- Each line becomes an option of its question, in order, named in every
  language by that language's line at the same position.
- The option named (in any language) as ``problem_choice`` (in any
  language) raises the problem.
- Each answer's text becomes its option, matched against the options'
  names in every language. A text matching none is not lost: it becomes an
  archived option of its question (shown in the answers given, no longer
  offered).
- The text is cleared from the answers that have their option, except on
  signed visits: it is part of what the customer signed (the signature
  keeps matching, see visit.record._signed_values).
"""

import json
import logging

from psycopg2.extras import execute_values

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)

# The shipped question's choices keep the XML ids a fresh install gives them.
SHIPPED = {
    "visit_type_repair_q2": {
        "On time": "visit_type_repair_q2_on_time",
        "A little late": "visit_type_repair_q2_a_little_late",
        "Very late": "visit_type_repair_q2_very_late",
    }
}


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _option_names(choice_options):
    """[{lang: name}] per line, in order; English (else the first language
    given) decides how many lines there are."""
    by_lang = {lang: _lines(text) for lang, text in (choice_options or {}).items()}
    if not by_lang:
        return []
    reference = by_lang.get("en_US") or next(iter(by_lang.values()))
    return [
        dict(
            {
                lang: lines[index]
                for lang, lines in by_lang.items()
                if index < len(lines)
            },
            en_US=line,
        )
        for index, line in enumerate(reference)
    ]


def _set_names(cr, names_by_option):
    """Write every language's name at once (the ORM writes one language)."""
    if names_by_option:
        execute_values(
            cr,
            """UPDATE visit_question_option AS choice SET name = data.name::jsonb
                 FROM (VALUES %s) AS data(id, name)
                WHERE choice.id = data.id""",
            names_by_option,
        )


def _xml_ids(env, options_by_question):
    """The shipped question's options get the XML ids of a fresh install."""
    for question_xmlid, xmlids in SHIPPED.items():
        question = env.ref(f"customer_visit.{question_xmlid}", raise_if_not_found=False)
        for option in options_by_question.get(question.id if question else 0, []):
            name = xmlids.get(option.name)
            if name and not env.ref(f"customer_visit.{name}", raise_if_not_found=False):
                env["ir.model.data"].create(
                    {
                        "module": "customer_visit",
                        "name": name,
                        "model": "visit.question.option",
                        "res_id": option.id,
                        "noupdate": True,
                    }
                )


def migrate(cr, version):
    if not version or not column_exists(cr, "visit_type_question", "choice_options"):
        return
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False, "lang": "en_US"})
    Option = env["visit.question.option"]
    problem_choices = {}
    if column_exists(cr, "visit_type_question", "problem_choice"):
        cr.execute(
            """SELECT id, problem_choice FROM visit_type_question
                WHERE problem_choice IS NOT NULL"""
        )
        problem_choices = dict(cr.fetchall())
    cr.execute(
        """SELECT id, choice_options FROM visit_type_question
            WHERE answer_kind = 'choice'
            ORDER BY id"""
    )
    rows = cr.fetchall()
    names_by_option = []
    options_by_question = {}
    # {question id: {name in any language: option id}}
    known = {}
    for question_id, choice_options in rows:
        problems = {
            text.strip()
            for text in (problem_choices.get(question_id) or {}).values()
            if text
        }
        existing = {
            option.name: option
            for option in Option.search([("question_id", "=", question_id)])
        }
        matches = known.setdefault(question_id, {})
        for index, names in enumerate(_option_names(choice_options)):
            option = existing.get(names["en_US"]) or Option.create(
                {"question_id": question_id, "name": names["en_US"]}
            )
            option.write(
                {
                    "sequence": index + 1,
                    "is_problem": bool(problems & set(names.values())),
                }
            )
            names_by_option.append((option.id, json.dumps(names, ensure_ascii=False)))
            options_by_question.setdefault(question_id, []).append(option)
            for name in names.values():
                matches.setdefault(name, option.id)
        for option in existing.values():
            matches.setdefault(option.name, option.id)
    env.flush_all()
    _set_names(cr, names_by_option)
    env.invalidate_all()

    cr.execute(
        """SELECT answer.id, answer.question_id, btrim(answer.value_text)
             FROM visit_answer AS answer
            WHERE answer.question_id = ANY(%s)
              AND answer.option_id IS NULL
              AND btrim(coalesce(answer.value_text, '')) != ''
            ORDER BY answer.id""",
        [list(known)],
    )
    pairs = []
    unmatched = {}
    for answer_id, question_id, text in cr.fetchall():
        option_id = known[question_id].get(text)
        if not option_id:
            # Kept as a choice of its own, archived: shown, no longer offered.
            option_id = known[question_id][text] = Option.create(
                {
                    "question_id": question_id,
                    "name": text,
                    "sequence": 1000,
                    "active": False,
                }
            ).id
            unmatched.setdefault(question_id, []).append(text)
        pairs.append((answer_id, option_id))
    env.flush_all()
    if pairs:
        execute_values(
            cr,
            """UPDATE visit_answer AS answer SET option_id = data.option_id
                 FROM (VALUES %s) AS data(id, option_id)
                WHERE answer.id = data.id""",
            pairs,
        )
        cr.execute(
            """UPDATE visit_answer AS answer SET value_text = NULL
                 FROM visit_record AS visit
                WHERE visit.id = answer.record_id
                  AND visit.signature_hash IS NULL
                  AND answer.option_id IS NOT NULL
                  AND answer.question_id = ANY(%s)""",
            [list(known)],
        )
    env.invalidate_all()
    _xml_ids(env, options_by_question)
    for question_id, texts in unmatched.items():
        _logger.info(
            "Question %s: answers matching none of its choices kept as archived "
            "choices: %s",
            question_id,
            ", ".join(texts),
        )
