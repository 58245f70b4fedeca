from odoo import models
from odoo.tools import SQL

# What a visit holds about a person, as the customer or the agent wrote it:
# blanked on erasure. The outcome, ratings, states and dates stay (they are
# the anonymous counts of the figures and of visit.case). On a signed sheet
# (the legal record), erased only when the manager asks for signed sheets
# too, the signed opinion, signer and snapshot go as well; its hash and
# signing date stay: they prove a sheet was signed, and when.
ERASED_COLUMNS = (
    "opinion",
    "problem_description",
    "notes",
    "phone",
    "recording_ref",
    "signed_by",
    "signed_content",
    "review_comment",
    "access_token",
)


class VisitRecord(models.Model):
    _inherit = "visit.record"

    def _erase_personal_data(self, include_signed=False):
        """Blank the personal data of these visits (free text, phone,
        recording, notes, portal token, text answers, attempt notes, chatter
        and files), keeping their states, outcomes, ratings and dates.

        A signed visit is the legal record: only its portal token is
        revoked, unless ``include_signed``. Returns the counts erased:
        ``{"visits", "signed", "answers", "attempts", "messages", "files"}``.

        The caller checks who may erase (a visit manager, through
        visit.erase.wizard). The columns are blanked in SQL on purpose: a
        write would refuse the signed fields of a signed visit (see
        SIGNED_FIELDS) and the protected ones, and would log the old values
        (personal data) in the tracking of the chatter it is erasing.
        """
        # Pending writes first: none of them may come back after the SQL.
        self.env.flush_all()
        signed = self.filtered("signature_hash")
        erased = self if include_signed else self - signed
        if self:
            # The portal token of every visit: a link sent earlier no
            # longer opens it (the sheet itself is not changed).
            self.env.cr.execute(
                SQL(
                    "UPDATE visit_record SET access_token = NULL WHERE id = ANY(%s)",
                    self.ids,
                )
            )
        counts = {
            "visits": len(erased),
            "signed": len(signed & erased),
            "answers": 0,
            "attempts": 0,
            "messages": 0,
            "files": 0,
        }
        if erased:
            counts.update(erased._erase_personal_columns())
        self.invalidate_recordset()
        return counts

    def _erase_personal_columns(self):
        """Blank the columns, answers, attempts, chatter and files of these
        visits."""
        self.env.cr.execute(
            SQL(
                "UPDATE visit_record SET %s WHERE id = ANY(%s)",
                SQL(", ").join(
                    SQL("%s = NULL", SQL.identifier(column))
                    for column in ERASED_COLUMNS
                ),
                self.ids,
            )
        )
        # sudo: the signature images are attachments of a field.
        self.env["ir.attachment"].sudo().search(
            [
                ("res_model", "=", self._name),
                ("res_field", "=", "signature"),
                ("res_id", "in", self.ids),
            ]
        ).unlink()
        self.env.cr.execute(
            SQL(
                """UPDATE visit_answer AS answer SET value_text = NULL
                   FROM visit_type_question AS question
                   WHERE question.id = answer.question_id
                     AND question.answer_kind = 'text'
                     AND answer.value_text IS NOT NULL
                     AND answer.record_id = ANY(%s)""",
                self.ids,
            )
        )
        answers = self.env.cr.rowcount
        self.env.cr.execute(
            SQL(
                """UPDATE visit_attempt SET note = NULL
                   WHERE note IS NOT NULL AND record_id = ANY(%s)""",
                self.ids,
            )
        )
        attempts = self.env.cr.rowcount
        self.env["visit.answer"].invalidate_model(["value_text"])
        self.env["visit.attempt"].invalidate_model(["note"])
        # sudo: the caller may erase these visits; their chatter (messages,
        # tracked old values, mails) and files go with what they said.
        messages = (
            self.env["mail.message"]
            .sudo()
            .search([("model", "=", self._name), ("res_id", "in", self.ids)])
        )
        # sudo: as the messages, the files attached to these visits.
        files = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_field", "=", False),
                    ("res_id", "in", self.ids),
                ]
            )
        )
        counts = {
            "answers": answers,
            "attempts": attempts,
            "messages": len(messages),
            "files": len(files),
        }
        messages.unlink()
        files.unlink()
        return counts
