"""Signing a visit: the sheet the customer reads, frozen when they sign.

At signing, ``signed_content`` stores the JSON of what the customer saw
(question wording and choices in the signer's language, answers, ratings,
opinion, type, channel, agent, contact, dates labelled with their zone,
company) and the raw signed values; ``signature_hash`` is its SHA-256.
Signed sheets print from it, and the form and the sheet say whether the
visit still matches it. The same signing serves the portal, the back
office (a signature drawn on a tablet, on site) and Log Outcome. Whether
a visit needs a signature is the base's (``signature_status``).
"""

import base64
import binascii
import contextvars
import hashlib
import io
import json

from PIL import Image

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from .const import SATISFACTION_FIELDS
from .visit_calendar import labelled_time
from .visit_protect import addon_write
from .visit_record import SIGNATURE_MAX_SIDE

# Set while the addon stores a signature (see _sign); a signature written
# outside it (the back office's form) is routed through _sign.
_SIGNING = contextvars.ContextVar("customer_visit_signing", default=False)


class VisitRecord(models.Model):
    _inherit = "visit.record"

    is_signature_valid = fields.Boolean(
        string="Signed content unchanged", compute="_compute_is_signature_valid"
    )

    def write(self, vals):
        if not vals.get("signature") or _SIGNING.get():
            return super().write(vals)
        # Signed in the back office (on site, on a tablet): same rules and
        # same hash as on the portal.
        self._check_protected_write(vals)
        self._check_signed_content_kept(vals)
        vals = dict(vals)
        signature = vals.pop("signature")
        name = vals.pop("signed_by", None)
        vals.pop("signed_on", None)
        res = super().write(vals) if vals else True
        for rec in self:
            rec._sign(
                name or rec.signed_by or (rec.contact_id or rec.partner_id).name,
                signature,
            )
        return res

    # ------------------------------------------------------------------
    # The sheet and its snapshot
    # ------------------------------------------------------------------
    def _sheet_lang(self):
        """The language of the sheet: the customer's, else the user's."""
        langs = {code for code, _name in self.env["res.lang"].get_installed()}
        lang = self.partner_id.lang or self.env.user.lang
        return lang if lang in langs else "en_US"

    def _sheet_content(self):
        """What the visit sheet shows the customer, as text in the
        customer's language and the company's time zone (labelled). Frozen
        as the signed content when the customer signs."""
        self.ensure_one()
        rec = self.with_context(lang=self._sheet_lang())
        env = rec.env
        tz_name = self.company_id._visit_tz_of(self.contact_id or self.partner_id).zone

        def when(value):
            return labelled_time(env, value, tz_name)

        def label(record, fname):
            selection = dict(record._fields[fname]._description_selection(env))
            return selection.get(record[fname], "") if record[fname] else ""

        answers = []
        script = rec.answer_ids.sorted(lambda a: (a.sequence, a.question_id.id))
        # The aspects print in their own table, worded as the type asks them.
        aspects = script.filtered(lambda answer: answer.question_id.aspect)
        for answer in script - aspects:
            question = answer.question_id
            value = answer._display_value()
            if answer.answer_kind == "rating" and answer.value_rating:
                value = f"{answer.value_rating} / 5"
            if answer.answer_kind == "nps" and answer.value_nps:
                value = f"{answer.value_nps} / 10"
            item = {
                "question": question.name or "",
                "kind": question.answer_kind or "",
                "choices": question.option_ids.mapped("name")
                if question.answer_kind == "choice"
                else [],
                "answer": value or "",
            }
            if condition := question.condition_question_id:
                # On a paper form: which earlier answer asks it.
                item["condition"] = "%s — %s" % (
                    condition.name,
                    " / ".join(question.condition_option_ids.mapped("name"))
                    or label(question, "condition_yes_no"),
                )
            if answer.is_skipped:
                # Not asked (its condition did not hold): printed as such.
                item["skipped"] = True
            answers.append(item)
        return {
            "version": 2,
            "lang": env.lang,
            "company": rec.company_id.name or "",
            "number": rec.name or "",
            "customer": rec.partner_id.display_name or "",
            "contact": (rec.contact_id or rec.partner_id).name or "",
            "phone": rec.phone or "",
            "source": rec.source_name or "",
            "type": rec.type_id.name or "",
            "round": rec.round or 0,
            "channel": label(rec, "channel"),
            "agent": rec.user_id.name or "",
            "date": when(rec.scheduled_date),
            "outcome": label(rec, "outcome"),
            "reason": rec.unreached_reason_id.name or "",
            "identity_confirmed": bool(rec.identity_confirmed),
            "answers": answers,
            "satisfaction": [
                {
                    "aspect": answer.question_id.name or "",
                    "level": "" if answer.is_skipped else label(answer, "value_level"),
                }
                for answer in aspects
            ],
            # Why a score is low: the visit's reasons, else (a paper form)
            # the type's list to tick.
            "reasons": rec.score_reason_ids.mapped("name"),
            "reasons_offered": rec.type_id.score_reason_ids.mapped("name"),
            "opinion": rec.opinion or "",
            "problem": rec.problem_description or "",
            "reply_date": rec.reply_date
            and format_date(env, rec.reply_date, date_format="yyyy-MM-dd")
            or "",
            "signed_by": rec.signed_by or "",
            "signed_on": when(rec.signed_on),
            "signature": hashlib.sha256(rec._signature_image()).hexdigest()
            if rec.signature
            else "",
            "values": self._signed_values(),
        }

    def _signed_values(self):
        """The signed fields as stored (ids and keys, no wording): what the
        live record must still hold for its snapshot to match it."""
        self.ensure_one()
        return {
            "partner": self.partner_id.id,
            "contact": self.contact_id.id or False,
            "type": self.type_id.id or False,
            "channel": self.channel or "",
            "scheduled": fields.Datetime.to_string(self.scheduled_date) or "",
            "outcome": self.outcome or "",
            # The reason's stable key, as signed sheets have kept it.
            "reason": self.unreached_reason_id.code or "",
            "identity_confirmed": bool(self.identity_confirmed),
            "satisfaction": [self[fname] or "" for fname in SATISFACTION_FIELDS],
            "opinion": self.opinion or "",
            "problem": self.problem_description or "",
            "answers": [
                [
                    answer.question_id.id,
                    answer.value_yes_no or "",
                    answer.value_rating or 0,
                    # A choice is its option; one signed before choices
                    # were records keeps the text it was signed with.
                    answer.value_text or answer.option_id.id or "",
                ]
                # The 4-level and 0-10 answers only where given: the values
                # of the visits signed before them stay as they were signed.
                + (
                    [answer.value_level or "", answer.value_nps or ""]
                    if answer.value_level or answer.value_nps
                    else []
                )
                for answer in self.answer_ids.sorted(
                    lambda a: (a.sequence, a.question_id.id)
                )
                # The aspects are signed as "satisfaction" above (as the
                # visits signed before they were items of the script).
                if not answer.question_id.aspect
            ],
            "signed_by": self.signed_by or "",
            "signed_on": fields.Datetime.to_string(self.signed_on) or "",
            "signature": hashlib.sha256(self._signature_image()).hexdigest(),
        }

    def _signed_content(self):
        """The canonical text of what the customer signs (stored at signing)."""
        return json.dumps(
            self._sheet_content(), sort_keys=True, ensure_ascii=False, indent=1
        )

    def _sheet(self):
        """The content the sheet prints: the frozen snapshot once signed."""
        self.ensure_one()
        if self.signed_content:
            return json.loads(self.signed_content)
        return self._sheet_content()

    def _signature_image(self):
        """The signature image as stored (base64), whatever the read context."""
        self.ensure_one()
        # The web client reads with ``bin_size``: ``signature`` then reads as
        # its size ("12.3 Kb"), and hashing that would call every signed visit
        # tampered with (or sign the size if signed in that context).  Read
        # the stored bytes instead, in a context of their own: the cache keeps
        # one value per ``bin_size``, so the image never reaches the client's
        # response, which still gets the size.  Not the attachment's
        # ``checksum``: it is SHA-1 of the raw file, kept in a column next to
        # it and not re-verified against the filestore, and it would change
        # the digest formula and invalidate every visit signed so far.
        return (
            self.with_context(bin_size=False, bin_size_signature=False).signature or b""
        )

    @api.model
    def _content_digest(self, content):
        return hashlib.sha256((content or "").encode()).hexdigest()

    @api.depends(
        "signature_hash",
        "signed_content",
        "signature",
        "signed_by",
        "signed_on",
        "opinion",
        "outcome",
        "answer_ids.value_text",
        "answer_ids.option_id",
        "answer_ids.value_rating",
        "answer_ids.value_yes_no",
        "answer_ids.value_level",
        "answer_ids.value_nps",
        *SATISFACTION_FIELDS,
    )
    def _compute_is_signature_valid(self):
        """The stored snapshot is the one signed (its hash), and the record
        still holds what it froze (values and image)."""
        signed = self.filtered("signature_hash")
        (self - signed).is_signature_valid = False
        # Prefetch on the signed records only: the images are fetched in one
        # query, and only those that are checked.
        for rec in signed.with_prefetch(signed._ids):
            try:
                frozen = json.loads(rec.signed_content or "{}").get("values")
            except ValueError:
                frozen = None
            live = json.loads(json.dumps(rec._signed_values()))
            rec.is_signature_valid = bool(
                rec.signed_content
                and rec.signature_hash == rec._content_digest(rec.signed_content)
                and frozen == live
            )

    @api.model
    def _check_signature_image(self, signature):
        """Refuse anything but a PNG or JPEG image of a sensible size as a
        signature; the size is read from the header, before any pixel is
        decoded (an image announcing gigapixels is refused unread)."""
        try:
            raw = base64.b64decode(signature, validate=True)
            with Image.open(io.BytesIO(raw)) as image:
                if (
                    image.format not in ("PNG", "JPEG")
                    or max(image.width, image.height) > SIGNATURE_MAX_SIDE
                ):
                    raise ValueError("not a signature image")
                image.verify()
        except (
            ValueError,
            TypeError,
            binascii.Error,
            OSError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as error:
            raise ValidationError(
                self.env._("The signature must be an image (PNG or JPEG).")
            ) from error

    def _can_be_signed(self):
        """Whether the customer may sign now: a reached visit not cancelled
        nor failed, not signed yet (the portal shows its button on this)."""
        self.ensure_one()
        return (
            self.state not in ("cancelled", "failed")
            and self.outcome == "reached"
            and not self.signature_hash
        )

    def _check_can_sign(self):
        """Refuse what _can_be_signed refuses, saying why."""
        for rec in self:
            if rec.state in ("cancelled", "failed"):
                raise UserError(
                    self.env._(
                        "%s is cancelled or failed: it cannot be signed.", rec.name
                    )
                )
            if rec.signature_hash:
                raise UserError(self.env._("%s is already signed.", rec.name))
            if rec.outcome != "reached":
                raise UserError(
                    self.env._(
                        "%s has nothing to sign yet: record the visit's outcome first.",
                        rec.name,
                    )
                )

    def _sign(self, name, signature):
        """Sign the visit: store signer, date, image and the content hash."""
        self.ensure_one()
        self._check_can_sign()
        name = (name or "").strip()
        if not name:
            raise UserError(self.env._("Give the name of the person who signs."))
        if not signature:
            raise UserError(self.env._("The signature is missing."))
        self._check_signature_image(signature)
        # The signing itself stores the signed fields, which a direct write
        # may not (the marks are flags of the running code, not context
        # keys: no RPC call can pass them).
        token = _SIGNING.set(True)
        try:
            with addon_write():
                self.write(
                    {
                        "signature": signature,
                        "signed_by": name,
                        "signed_on": fields.Datetime.now(),
                    }
                )
                # The snapshot names the image as stored (the Image field
                # may resize it), hence a second write once the first is done.
                content = self._signed_content()
                self.write(
                    {
                        "signed_content": content,
                        "signature_hash": self._content_digest(content),
                    }
                )
        finally:
            _SIGNING.reset(token)
        self.message_post(body=self.env._("Visit sheet signed by %s.", name))
        return True
