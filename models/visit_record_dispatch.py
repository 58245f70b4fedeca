"""Digital channels sent when due: e-mail, SMS and questionnaire visits.

The *Dispatch* job sends every due visit of a digital channel with its
type's template (Odoo's mail queue, the ``sms`` module's queue), carrying
the visit's tokenized portal link.  A customer who cannot be reached that
way (no address, a blacklisted address or number, no valid mobile) is given
to a phone call instead, with the reason in the chatter; a bounced e-mail
or an SMS Odoo reports as undeliverable falls back the same way.
"""

import uuid
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

from .const import DIGITAL_CHANNELS, DISPATCH_CHANNELS, EMAIL_CHANNELS
from .visit_protect import addon_action

DISPATCH_BATCH = 500
DISPATCH_STATES = [
    ("sent", "Sent"),
    ("answered", "Answered"),
    ("bounced", "Bounced"),
    ("fell_back", "Given to a call"),
]
# What Odoo knows of the message's delivery (mail.notification's status).
DELIVERY_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
]
DELIVERY_OF = {
    "ready": "queued",
    "process": "queued",
    "pending": "sent",
    "sent": "delivered",
    "bounce": "failed",
    "exception": "failed",
    "canceled": "failed",
}
# mail.notification failures that mean the address or number is wrong
# (not a server or credit problem, which Odoo retries).
UNDELIVERABLE = (
    "mail_bounce",
    "mail_email_invalid",
    "mail_email_missing",
    "mail_bl",
    "mail_optout",
    "sms_number_missing",
    "sms_number_format",
    "sms_invalid_destination",
    "sms_not_delivered",
    "sms_rejected",
    "sms_blacklist",
    "sms_optout",
)


class VisitRecord(models.Model):
    _inherit = "visit.record"

    dispatch_state = fields.Selection(
        DISPATCH_STATES,
        string="Message",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="What became of the message the Dispatch job sent: sent, "
        "bounced (the visit fell back to a call), or given to a call at "
        "once (no address the channel can use).",
    )
    dispatch_channel = fields.Selection(
        DISPATCH_CHANNELS,
        string="Message channel",
        readonly=True,
        copy=False,
        help="The digital channel the visit was planned for, kept when the "
        "customer answers on the portal or the visit becomes a call.",
    )
    dispatch_date = fields.Datetime(string="Sent on", readonly=True, copy=False)
    dispatch_opened = fields.Datetime(
        string="Opened on",
        readonly=True,
        copy=False,
        help="When the customer first acted on the visit's page (an answer, "
        "a callback time, a signature, an opt-out): merely opening the link "
        "is not counted, as mail scanners open every link.",
    )
    answer_date = fields.Datetime(
        string="Answered on",
        readonly=True,
        copy=False,
        help="When the customer answered the visit on the portal.",
    )
    dispatch_delivery = fields.Selection(
        DELIVERY_STATES,
        string="Delivery",
        compute="_compute_dispatch_delivery",
        help="What Odoo knows of the sent message: queued, handed to the "
        "mail server or the SMS provider, delivered (an SMS the provider "
        "confirmed, an e-mail the server accepted), failed.",
    )
    dispatch_message_id = fields.Many2one(
        "mail.message", string="Sent message", readonly=True, copy=False
    )
    dispatch_reminded = fields.Datetime(string="Reminded on", readonly=True, copy=False)
    # What the shipped templates print, as plain field paths: Odoo renders a
    # template made only of those without QWeb or safe_eval (the
    # ``mail_allowed_qweb_expressions`` fast path), which is most of the
    # cost of a batch of thousands of messages.
    message_partner_id = fields.Many2one(
        "res.partner",
        string="Addressee",
        compute="_compute_message_values",
        help="Who the messages go to: the contact person, else the customer.",
    )
    message_sender_name = fields.Char(
        string="Sender", compute="_compute_message_values"
    )
    message_email_from = fields.Char(
        string="Sent from",
        compute="_compute_message_values",
        help="The agent's address, else the company's.",
    )
    message_link = fields.Char(
        string="Answer link",
        compute="_compute_message_values",
        help="The visit's portal link, with its token, as the messages carry it.",
    )
    message_button = fields.Html(
        string="Answer button",
        compute="_compute_message_values",
        sanitize=False,
        help="The visit's portal link as a button, in the addressee's language.",
    )

    @api.depends_context("lang", "uid")
    @api.depends(
        "contact_id.lang",
        "partner_id.lang",
        "user_id.name",
        "user_id.email",
        "company_id.name",
        "company_id.email",
        "access_token",
    )
    def _compute_message_values(self):
        label = self.env._("Answer now")
        for visit in self:
            # A record not saved yet has no link; a saved one gets its token
            # here if it has none, as get_portal_url() gives it in QWeb.
            link = visit.id and visit.get_base_url() + visit.get_portal_url()
            visit.message_partner_id = visit._dispatch_recipient()
            visit.message_sender_name = visit.user_id.name or visit.company_id.name
            visit.message_email_from = (
                visit.user_id.email_formatted
                or visit.company_id.email_formatted
                or self.env.user.email_formatted
            )
            visit.message_link = link or False
            visit.message_button = link and Markup(
                '<a href="%s" style="background-color: #875A7B; padding: 8px 16px; '
                'color: #fff; border-radius: 5px; text-decoration: none;">%s</a>'
            ) % (link, label)

    @api.model
    def mail_allowed_qweb_expressions(self):
        return super().mail_allowed_qweb_expressions() + (
            "object.company_id.name",
            "object.type_id.name",
            "object.message_partner_id.id",
            "object.message_partner_id.lang",
            "object.message_partner_id.name",
            "object.message_sender_name",
            "object.message_email_from",
            "object.message_link",
            "object.message_button",
        )

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._check_reachable()
        return records

    @addon_action
    def action_reset(self):
        """A reopened visit is sent again, with a new link."""
        result = super().action_reset()
        self.filtered("dispatch_state").write(
            {
                "dispatch_state": False,
                "dispatch_reminded": False,
                "dispatch_opened": False,
                "answer_date": False,
            }
        )
        return result

    @api.depends("dispatch_message_id.notification_ids.notification_status")
    def _compute_dispatch_delivery(self):
        for visit in self:
            partner = visit._dispatch_recipient()
            notifications = visit.dispatch_message_id.notification_ids.filtered(
                lambda n, partner=partner: n.res_partner_id == partner
            )
            status = notifications[:1].notification_status
            visit.dispatch_delivery = DELIVERY_OF.get(status, False)

    # ------------------------------------------------------------------
    # Who can be reached by the channel
    # ------------------------------------------------------------------
    def _dispatch_recipient(self):
        return self.contact_id or self.partner_id

    def _recipients(self):
        return self.env["res.partner"].union(
            *(visit._dispatch_recipient() for visit in self)
        )

    def _dispatch_numbers(self):
        """{visit id: its recipient's mobile number in E.164, or False (a
        landline receives no SMS: the visit is given to a call)}."""
        return {
            visit.id: visit._dispatch_recipient()._visit_sms_number() for visit in self
        }

    def _dispatch_obstacle(self, number, blacklisted):
        """Why the visit's message cannot go out (a translated reason), or
        ''. Odoo's own blacklists and phone validation decide: ``number`` is
        the recipient's (see _dispatch_numbers), ``blacklisted`` the
        blacklisted numbers and addresses among the batch's."""
        self.ensure_one()
        partner = self._dispatch_recipient()
        if self.channel in EMAIL_CHANNELS:
            if not partner.email_normalized:
                return self.env._("the customer has no valid e-mail address")
            if partner.email_normalized in blacklisted:
                return self.env._("the e-mail address is on the blacklist")
            return ""
        if not number:
            return self.env._("the customer has no valid mobile number")
        if number in blacklisted:
            return self.env._("the number is on the blacklist")
        return ""

    def _give_to_a_call(self, reason, state="fell_back"):
        """The visit becomes a phone call for its agent, saying why."""
        channels = dict(self._fields["channel"]._description_selection(self.env))
        # One insert for the batch (a rule may plan thousands at once).
        self._message_log_batch(
            bodies={
                visit.id: self.env._(
                    "Not sent by %(channel)s: %(reason)s. The visit is now a "
                    "phone call.",
                    channel=channels.get(visit.channel, visit.channel),
                    reason=reason,
                )
                for visit in self
            }
        )
        waiting = self.filtered(lambda visit: visit.dispatch_state == "sent")
        for channel, visits in self.grouped(
            lambda visit: visit.dispatch_channel or visit.channel
        ).items():
            visits.write(
                {
                    "channel": "phone",
                    "dispatch_state": state,
                    "dispatch_channel": channel
                    if channel in DIGITAL_CHANNELS
                    else False,
                }
            )
        # The message had been waiting for the customer (its to-do put off,
        # see _postpone_activities_while_waiting): the call is owed from now.
        waiting.filtered(
            lambda visit: not visit._visit_activities()
        )._schedule_visit_activities()
        now = fields.Datetime.now()
        days = defaultdict(lambda: self.env["mail.activity"])  # day -> to-dos
        for visit in waiting:
            owed = max(now, visit.scheduled_date) if visit.scheduled_date else now
            days[visit._assignee_day(owed)] |= visit._visit_activities()
        # sudo: as in _postpone_activities_while_waiting.
        for day, activities in days.items():
            activities.sudo().date_deadline = day

    def _check_reachable(self):
        """At planning time: a digital visit its customer cannot receive
        (no address, a blacklisted one, no valid mobile) becomes a phone
        call at once, with the reason, rather than waiting to fail."""
        digital = self.filtered(
            lambda visit: (
                visit.channel in DIGITAL_CHANNELS
                and visit.state == "planned"
                and not visit.dispatch_state
            )
        )
        if not digital:
            return digital
        return digital - digital._give_unreachable_to_a_call()[0]

    def _give_unreachable_to_a_call(self):
        """Give the visits their channel cannot reach to a call, with the
        reason (one note batch per reason). The others, and their numbers:
        (reachable visits, {visit id: number})."""
        numbers, blacklisted = self._dispatch_blacklist()
        by_reason = defaultdict(lambda: self.browse())
        for visit in self:
            if obstacle := visit._dispatch_obstacle(numbers.get(visit.id), blacklisted):
                by_reason[obstacle] |= visit
        for obstacle, visits in by_reason.items():
            visits._give_to_a_call(obstacle)
        return self - self.browse().union(*by_reason.values()), numbers

    def _dispatch_blacklist(self):
        """The SMS visits' numbers, and the numbers and e-mail addresses of
        the batch on Odoo's blacklists (a query each for the batch)."""
        numbers = self.filtered(
            lambda visit: visit.channel == "sms"
        )._dispatch_numbers()
        emails = {
            visit._dispatch_recipient().email_normalized
            for visit in self
            if visit.channel != "sms"
        } - {False}
        # sudo: the blacklists are read whatever the user may read.
        blacklisted = set(
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "in", [n for n in numbers.values() if n])])
            .mapped("number")
        )
        if emails:
            # sudo: as above.
            blacklisted |= set(
                self.env["mail.blacklist"]
                .sudo()
                .search([("email", "in", list(emails))])
                .mapped("email")
            )
        return numbers, blacklisted

    def _mail_get_partners(self, introspect_fields=False):
        """Mail and SMS composers write to the contact person, else the
        customer, as the Dispatch job does."""
        return {visit.id: visit._dispatch_recipient() for visit in self}

    # ------------------------------------------------------------------
    # By hand: Send to Customer on a selection
    # ------------------------------------------------------------------
    # The composers opened by the actions below carry ``visit_mark_sent``
    # (as sale's ``mark_so_as_sent``): what they send to an open digital
    # visit is followed as the Dispatch job's message is.
    def _mark_sent_by_hand(self, channel, messages=None):
        """Messages sent by hand to the customers of these visits
        (``channel``: "email" or "sms"; ``messages``: {visit id:
        mail.message id}, where the message is known). An open visit not
        tried yet (no outcome, no message) whose channel the message took
        (e-mail for e-mail and questionnaire visits, SMS for SMS) is then
        sent: its reminder and call follow, the Dispatch job does not send
        it, and it counts in the digital channels' figures."""
        channels = ("sms",) if channel == "sms" else EMAIL_CHANNELS
        followed = self.filtered(
            lambda visit: (
                visit.state == "planned"
                and visit.channel in channels
                and not visit.outcome
                and not visit.dispatch_state
            )
        )
        followed._mark_sent(messages or {})

    @api.returns("mail.message", lambda value: value.id)
    def message_post(self, **kwargs):
        message = super().message_post(**kwargs)
        if (
            self.env.context.get("visit_mark_sent")
            and message
            and message.message_type in ("comment", "sms")
            and self._dispatch_recipient() & message.partner_ids
        ):
            # The mail composer (each visit) or the SMS composer (one visit).
            self._mark_sent_by_hand(
                "sms" if message.message_type == "sms" else "email",
                {self.id: message.id},
            )
        return message

    def _common_template(self, fname, default_xmlid):
        """The selected visits' type template when they share one, else the
        shipped one."""
        templates = self.mapped(f"type_id.{fname}")
        if len(templates) == 1 and all(visit.type_id[fname] for visit in self):
            return templates
        return self.env.ref(default_xmlid, raise_if_not_found=False)

    def action_send_sms(self):
        """Odoo's SMS composer on the selection (mass mode for several),
        with each visit's portal link: the type's SMS to answer a visit
        still to be answered, else the SMS asking to read and sign the
        record of a visit that took place."""
        if not self:
            raise UserError(self.env._("Select the visits to send first."))
        return self._sms_composer_action(
            self._sms_template_to_send(), self.env._("Send SMS")
        )

    def _sms_template_to_send(self):
        """The SMS for the selection: to answer, or to read and sign (its
        text asks for a signature: a signed record is not sent again)."""
        if self._is_sent_to_answer():
            return self._common_template(
                "sms_template_id", "customer_visit.sms_template_visit_dispatch"
            )
        if signed := self.filtered("signature_hash"):
            raise UserError(
                self.env._(
                    "The customer already signed %(visits)s: the SMS asks for "
                    "a signature. Send the record by e-mail or print the "
                    "sheet instead.",
                    visits=", ".join(signed.mapped("name")),
                )
            )
        return self.env.ref(
            "customer_visit.sms_template_visit_sign_request",
            raise_if_not_found=False,
        )

    def _sms_composer_action(self, template, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "sms.composer",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_res_model": self._name,
                "default_res_ids": self.ids,
                "default_res_id": self.id if len(self) == 1 else False,
                "default_composition_mode": "comment" if len(self) == 1 else "mass",
                "default_template_id": template.id if template else False,
                "default_mass_keep_log": True,
                "visit_mark_sent": True,
            },
        }

    def _is_sent_to_answer(self):
        """Whether the customers of these visits are asked to answer them
        (every visit open and not reached yet: not tried, or waiting for
        its next attempt), else to read and sign their record: a closed
        visit never invites an answer. Only visits that took place have a
        record to send (see _check_record_to_send)."""
        if all(visit.is_open and visit.outcome != "reached" for visit in self):
            return True
        self._check_record_to_send()
        return False

    def _check_record_to_send(self):
        """A customer is sent the record of a visit that took place: a
        failed visit never reached them, a cancelled one did not happen."""
        if others := self.filtered(
            lambda visit: visit.state in ("failed", "cancelled")
        ):
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "Only the record of a visit that took place is sent to "
                    "the customer to read and sign: %(visits)s never reached "
                    "the customer. Plan a new visit instead.",
                    visits=", ".join(
                        f"{visit.name} ({states.get(visit.state)})" for visit in others
                    ),
                )
            )

    def _mail_composer_action(self):
        """The mail composer on the selection with each visit's portal link
        (one message per visit): visits still to be answered get the type's
        e-mail (to answer online), the others the request to read and sign
        their record."""
        if self._is_sent_to_answer():
            template = self._common_template(
                "mail_template_id", "customer_visit.mail_template_visit_dispatch"
            )
        else:
            template = self.env.ref(
                "customer_visit.mail_template_visit_sign_request",
                raise_if_not_found=False,
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send to Customer"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id if template else False,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
                "visit_mark_sent": True,
            },
        }

    def action_send_sign_request(self):
        """Send to Customer: the mail composer (see _mail_composer_action),
        or Odoo's SMS composer when the customers have a mobile number and
        no e-mail address (the mail composer would ask for an address and
        send to no one): the type's SMS to answer, or the SMS asking to read
        and sign a closed record. Neither address: say what to fill in."""
        if not self:
            raise UserError(self.env._("Select the visits to send first."))
        by_email = self.filtered(
            lambda visit: visit._dispatch_recipient().email_normalized
        )
        if by_email == self:
            return self._mail_composer_action()
        by_sms = self - by_email
        numbers = by_sms._dispatch_numbers()
        unreachable = by_sms.filtered(lambda visit: not numbers[visit.id])
        if unreachable:
            raise UserError(
                self.env._(
                    "These customers have neither an e-mail address nor a "
                    "mobile number: %(customers)s. Fill one in on the "
                    "customer, then send again.",
                    customers=", ".join(
                        unreachable._recipients().mapped("display_name")
                    ),
                )
            )
        if by_email:
            raise UserError(
                self.env._(
                    "These customers have a mobile number but no e-mail "
                    "address: %(customers)s. Send to them apart from the "
                    "others: select only them, then Send to Customer sends "
                    "an SMS.",
                    customers=", ".join(by_sms._recipients().mapped("display_name")),
                )
            )
        return self._sms_composer_action(
            self._sms_template_to_send(), self.env._("Send to Customer")
        )

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------
    def _dispatch(self):
        """Send each visit's message, in its customer's language."""
        sending, numbers = self._give_unreachable_to_a_call()
        resent = sending.filtered("dispatch_date")
        # Sent again (a reopened visit): its earlier link stops working.
        resent.access_token = False
        messages = sending._send_messages(numbers)
        sending.filtered(lambda visit: visit.id in messages)._mark_sent(messages)

    def _mark_sent(self, messages):
        """The visits' message went out now, by their channel (``messages``:
        {visit id: mail.message id}, where the message is known)."""
        now = fields.Datetime.now()
        for channel, visits in self.grouped("channel").items():
            visits.write(
                {
                    "dispatch_state": "sent",
                    "dispatch_channel": channel,
                    "dispatch_date": now,
                    "dispatch_reminded": False,
                    "dispatch_opened": False,
                }
            )
        self.filtered(lambda visit: visit.id in messages)._set_dispatch_messages(
            messages
        )
        # Unknown (SMS sent by hand to a selection): no message followed,
        # not the one of a reopened visit's earlier round.
        self.filtered(
            lambda visit: visit.id not in messages
        ).dispatch_message_id = False
        self._postpone_activities_while_waiting()

    def _postpone_activities_while_waiting(self):
        """A sent visit waits for the customer: its agent owes nothing
        until the type's *Call after* delay is over (then the Dispatch job
        gives the visit to a call, see _give_to_a_call). The visit keeps its
        to-do, so that the agent still sees it and a callback time picked on
        the portal moves it, but the to-do falls due the day the call would
        be owed, not the day the message left: never overdue while the
        customer has the message. A type that never calls (*Call after* 0)
        leaves it on the visit's deadline; with no deadline either, nothing
        is owed by the agent and the to-do goes."""
        days = defaultdict(lambda: self.env["mail.activity"])  # day -> to-dos
        dropped = self.env["mail.activity"]
        for visit in self:
            activities = visit._visit_activities()
            hours = visit.type_id.answer_hours
            owed = (
                visit.dispatch_date + timedelta(hours=hours)
                if hours
                else visit.deadline
            )
            if not owed:
                dropped |= activities
            elif activities:
                days[visit._assignee_day(owed)] |= activities
        # sudo: the to-do is the assignee's; whoever sends (the job, an
        # agent for a colleague's visit) only moves its date.
        for day, activities in days.items():
            activities.sudo().date_deadline = day
        dropped.sudo().unlink()

    def _set_per_visit(self, fname, values, sql_type, dependents=()):
        """Write ``values`` (one per visit, in the order of ``self``) to the
        column ``fname`` in one UPDATE for the batch, where the ORM writes
        once per visit (a tenth of a batch's time). For technical columns
        that nothing tracks; ``dependents``: the computed fields to read
        again."""
        if not self:
            return
        self.flush_recordset([fname])
        self.env.cr.execute(
            SQL(
                """UPDATE visit_record r SET %s = v.value
                     FROM unnest(%s::int[], %s) AS v(visit_id, value)
                    WHERE r.id = v.visit_id""",
                SQL.identifier(fname),
                self.ids,
                SQL(f"%s::{sql_type}[]", values),
            )
        )
        self.invalidate_recordset([fname, *dependents])

    def _set_dispatch_messages(self, messages):
        """Each visit's sent message ({visit id: mail.message id})."""
        self._set_per_visit(
            "dispatch_message_id",
            [messages[visit_id] for visit_id in self.ids],
            "int",
            ["dispatch_delivery"],
        )

    def _ensure_tokens(self):
        """portal.mixin's token for the visits that have none (made as its
        _portal_ensure_token makes them), in one UPDATE for the batch."""
        missing = self.filtered(lambda visit: not visit.access_token)
        missing._set_per_visit(
            "access_token",
            [str(uuid.uuid4()) for _visit in missing],
            "varchar",
            ["message_link", "message_button"],
        )

    def _send_messages(self, numbers=None):
        """Queue the visits' messages, each in its customer's language, a
        batch at a time: Odoo's mass-mail composer for e-mail (a kept log
        message per visit), the ``sms`` module's queue for SMS. Each message
        gets its recipient's ``mail.notification`` (_notify_in_bulk), so
        that Odoo's delivery reports, bounces and SMS errors land on it. The
        queues' jobs send after the commit: a run killed before it sends
        nothing. {visit id: mail.message id}."""
        self._ensure_tokens()
        sms = self.filtered(lambda visit: visit.channel == "sms")
        messages = {}
        if not self:
            return messages
        default_sms = self.env.ref(
            "customer_visit.sms_template_visit_dispatch", raise_if_not_found=False
        )
        default_mail = self.env.ref(
            "customer_visit.mail_template_visit_dispatch", raise_if_not_found=False
        )
        groups = list(
            sms.grouped(
                lambda visit: visit.type_id.sms_template_id or default_sms
            ).items()
        ) + list(
            (self - sms)
            .grouped(lambda visit: visit.type_id.mail_template_id or default_mail)
            .items()
        )
        for template, visits in groups:
            if not template:
                # The shipped template was deleted and the type names none.
                visits._give_to_a_call(self.env._("the visit type has no template"))
            elif template._name == "sms.template":
                messages.update(visits._queue_sms(template, numbers))
            else:
                messages.update(visits._queue_mail(template))
        return messages

    def _queue_mail(self, template):
        """E-mails of one template through Odoo's mass-mail composer, the
        entry point ``mass_mailing`` sends its mailings by
        (``_action_send_mail``): a ``mail.mail`` per visit in the mail queue
        and its kept log message in the chatter; followed by Odoo's delivery
        status (_notify_in_bulk)."""
        composer = (
            self.env["mail.compose.message"]
            # sudo: the job queues the messages of every agent's visits.
            .sudo()
            .create(
                {
                    "composition_mode": "mass_mail",
                    "model": self._name,
                    "res_ids": self.ids,
                    "template_id": template.id,
                    "auto_delete_keep_log": True,
                    "force_send": False,
                }
            )
        )
        mails = composer._action_send_mail()[0]
        self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        recipients = {visit.id: visit._dispatch_recipient() for visit in self}
        self._notify_in_bulk(
            "email",
            [
                {
                    "message": mail.mail_message_id,
                    "partner": recipients[mail.res_id],
                    "mail": mail,
                }
                for mail in mails
                if recipients.get(mail.res_id)
            ],
        )
        return {mail.res_id: mail.mail_message_id.id for mail in mails}

    def _queue_sms(self, template, numbers=None):
        """SMS of one template: a log message per visit in its chatter (as
        Odoo's SMS composer keeps one in mass mode, ``_message_log_batch``),
        then the SMS in the ``sms`` module's queue, followed by Odoo's
        delivery status (_notify_in_bulk)."""
        numbers = numbers if numbers is not None else self._dispatch_numbers()
        bodies = template._render_field("body", self.ids, compute_lang=True)
        logs = self._message_log_batch(
            bodies={
                visit_id: sms_content_to_rendered_html(body)
                for visit_id, body in bodies.items()
            },
            message_type="sms",
        )
        message_of = {message.res_id: message for message in logs}
        self._notify_in_bulk(
            "sms",
            [
                {
                    "message": message_of[visit.id],
                    "partner": visit._dispatch_recipient(),
                    "number": numbers.get(visit.id),
                    "body": bodies[visit.id],
                }
                for visit in self
            ],
        )
        self.env.ref("sms.ir_cron_sms_scheduler_action")._trigger()
        return {visit.id: message_of[visit.id].id for visit in self}

    # ------------------------------------------------------------------
    # The adapter: the one place rows of the mail and sms modules are made
    # by hand
    # ------------------------------------------------------------------
    @api.model
    def _notify_in_bulk(self, notification_type, notifications):
        """ADAPTER to Odoo's notifying internals, the only one of the addon:
        make for many messages at once the rows Odoo's notifying makes for
        one message to one customer, so that Odoo's delivery reports land on
        them (``dispatch_delivery``, _check_undelivered):

        - ``"email"``: the ``mail.notification`` that
          ``mail.thread._notify_thread_by_email`` makes for its ``mail.mail``,
          here for the ``mail.mail`` of Odoo's mass-mail composer, which makes
          none (``mass_mailing`` follows its mails by ``mailing.trace``);
          ``mail.mail`` sets it sent or failed, a bounce marks it;
        - ``"sms"``: the ``sms.sms``, ``mail.notification`` and
          ``sms.tracker`` that ``mail.thread._notify_thread_by_sms`` makes
          with ``put_in_queue``, here for a log message (Odoo's SMS composer
          in mass mode makes its SMS without message, notification or
          tracker: their delivery is not known afterwards).

        No public API serves: the ones that notify (``message_post``,
        ``_message_sms``, the composers in comment mode) do it one message
        at a time, 28 queries a visit and 10 to 25 times slower than a batch
        (docs/benchmarks.md, 2026-12-02). tests/test_house_dispatch.py
        compares these rows with those Odoo's public path makes for one
        message, and fails when Odoo changes them.

        ``notifications``: a dict per message: ``message`` (mail.message),
        ``partner`` (res.partner), and ``mail`` (its mail.mail) for e-mail,
        ``number`` (E.164) and ``body`` (plain text) for SMS. The
        notifications (sudo)."""
        if notification_type == "sms":
            # sudo: the queue is technical, as in _notify_thread_by_sms.
            queued = (
                self.env["sms.sms"]
                .sudo()
                .create(
                    [
                        {
                            "body": notification["body"],
                            "mail_message_id": notification["message"].id,
                            "state": "outgoing",
                            "partner_id": notification["partner"].id,
                            "number": notification["number"],
                        }
                        for notification in notifications
                    ]
                )
            )
            values = [
                {
                    "author_id": sms.mail_message_id.author_id.id,
                    "mail_message_id": sms.mail_message_id.id,
                    "res_partner_id": sms.partner_id.id,
                    "sms_number": sms.number,
                    "notification_type": "sms",
                    "sms_id_int": sms.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": sms.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                    "failure_type": "",
                }
                for sms in queued
            ]
        else:
            # Odoo's mass mode cancels a mail to an invalid address: its
            # notification says so, as Odoo's say a failed mail.
            values = [
                {
                    "author_id": notification["message"].author_id.id,
                    "is_read": True,
                    "mail_mail_id": notification["mail"].id,
                    "mail_message_id": notification["message"].id,
                    "notification_status": "ready"
                    if notification["mail"].state == "outgoing"
                    else "exception",
                    "notification_type": "email",
                    "res_partner_id": notification["partner"].id,
                    "failure_type": notification["mail"].failure_type
                    if notification["mail"].state != "outgoing"
                    else False,
                }
                for notification in notifications
            ]
        # sudo: notifications are technical, as in Odoo's own notifying.
        return self.env["mail.notification"].sudo().create(values)

    def _unanswered_ids(self, delay_field, extra, limit, mine=(0,), parts=1):
        """Sent visits of the parts ``mine`` (of ``parts``) still open
        ``delay_field`` hours after the message, locked for this run."""
        self.flush_model()
        self.env["visit.type"].flush_model([delay_field])
        self.env.cr.execute(
            SQL(
                """SELECT r.id FROM visit_record r
                     JOIN visit_type t ON t.id = r.type_id
                    WHERE r.dispatch_state = 'sent' AND r.state = 'planned'
                      AND r.channel IN %(digital)s
                      AND %(delay)s > 0 AND %(extra)s
                      AND r.dispatch_date + %(delay)s * interval '1 hour' <= %(now)s
                      AND MOD(r.id, %(parts)s) = ANY(%(mine)s)
                    ORDER BY r.dispatch_date, r.id
                    LIMIT %(limit)s FOR UPDATE OF r SKIP LOCKED""",
                delay=SQL.identifier("t", delay_field),
                digital=DIGITAL_CHANNELS,
                extra=extra,
                now=fields.Datetime.now(),
                limit=limit,
                mine=list(mine),
                parts=parts,
            )
        )
        return [visit_id for (visit_id,) in self.env.cr.fetchall()]

    def _follow_up_unanswered(self, limit, mine=(0,), parts=1):
        """One reminder, then a phone call: the type's delays after the
        message with no answer (an answer closes the visit)."""
        reminded = self.browse(
            self._unanswered_ids(
                "reminder_hours", SQL("r.dispatch_reminded IS NULL"), limit, mine, parts
            )
        )
        # The blacklists may have changed since the first message.
        reachable, numbers = reminded._give_unreachable_to_a_call()
        messages = reachable._send_messages(numbers)
        now = fields.Datetime.now()
        reminded = reminded.filtered(lambda visit: visit.id in messages)
        reminded.write({"dispatch_reminded": now})
        # The reminder is the message whose delivery is followed now.
        reminded._set_dispatch_messages(messages)
        late = (
            self.browse(
                self._unanswered_ids("answer_hours", SQL("TRUE"), limit, mine, parts)
            )
            - reminded
        )
        # Their scheduled time has passed: they are due in the agent's list.
        late._log_not_reached(
            "visit_unreached_reason_no_answer",
            self.env._("No answer to the message"),
            user_id=False,
        )
        for visit in late:
            visit._give_to_a_call(
                self.env._(
                    "no answer %s hours after the message", visit.type_id.answer_hours
                )
            )
        return reminded, late

    def _dispatch_due_ids(self, limit, mine=(0,), parts=1):
        """Ids of due digital visits of the parts ``mine`` (of ``parts``)
        not sent yet, locked for this run: another run at the same time
        skips them (never sent twice)."""
        self.flush_model(["state", "channel", "dispatch_state", "scheduled_date"])
        self.env.cr.execute(
            SQL(
                """SELECT id FROM visit_record
                    WHERE state = 'planned' AND channel IN %s
                      AND dispatch_state IS NULL AND scheduled_date <= %s
                      AND MOD(id, %s) = ANY(%s)
                    ORDER BY scheduled_date, id
                    LIMIT %s FOR UPDATE SKIP LOCKED""",
                DIGITAL_CHANNELS,
                fields.Datetime.now(),
                parts,
                list(mine),
                limit,
            )
        )
        return [visit_id for (visit_id,) in self.env.cr.fetchall()]

    def _check_undelivered(self, mine=(0,), parts=1):
        """Sent messages of the parts ``mine`` (of ``parts``) Odoo reports
        as undeliverable (a bounce, a wrong number) fall back to a call at
        once."""
        self.env["mail.notification"].flush_model()
        self.flush_model(["dispatch_state", "dispatch_message_id", "state"])
        self.env.cr.execute(
            SQL(
                """SELECT r.id, f.failure_type
                     FROM visit_record r,
                          LATERAL (
                            SELECT n.failure_type FROM mail_notification n
                             WHERE n.mail_message_id = r.dispatch_message_id
                               AND n.notification_status IN ('bounce', 'exception')
                               AND n.failure_type IN %s
                             ORDER BY n.id LIMIT 1) f
                    WHERE r.dispatch_state = 'sent' AND r.state = 'planned'
                      AND MOD(r.id, %s) = ANY(%s)
                    FOR UPDATE OF r SKIP LOCKED""",
                UNDELIVERABLE,
                parts,
                list(mine),
            )
        )
        rows = self.env.cr.fetchall()
        failures = dict(
            self.env["mail.notification"]
            ._fields["failure_type"]
            ._description_selection(self.env)
        )
        bounced = self.browse()
        for visit_id, failure in rows:
            visit = self.browse(visit_id)
            visit._give_to_a_call(
                self.env._(
                    "Odoo reported it undeliverable (%s)",
                    failures.get(failure, failure),
                ),
                state="bounced",
            )
            bounced |= visit
        return bounced

    @api.model
    def _dispatch_parts(self, part, parts):
        """The parts the job of ``part`` sends: its own; the first job also
        those whose job is switched off or gone (Odoo switches off a job
        that keeps failing), so that no visit waits for a job that never
        runs."""
        if part:
            return [part]
        running = set(
            self.env["ir.cron"]
            ._visit_dispatch_jobs()
            .filtered("active")
            .mapped("visit_dispatch_part")
        )
        return [0] + [other for other in range(1, parts) if other not in running]

    @api.model
    @addon_action
    def _cron_dispatch(self, part=0, batch_size=DISPATCH_BATCH):
        """Scheduled action *Dispatch* (one job per worker, the job of
        ``part``): send due e-mail, SMS and questionnaire visits, and give
        the undeliverable ones to a call.

        Odoo's batched cron protocol: a batch per call, committed by the
        cron runner with the visits marked sent, so a run killed before
        its commit sends nothing (its mails and SMS are rolled back with
        the marks) and two runs at once never take the same visit. The
        visits are split by id into as many parts as there are workers
        (the *Job workers* setting): the workers send at once, each on
        rows no other one touches, on a core of its own.
        """
        parts = self.env["ir.cron"]._visit_workers()
        if part >= parts:
            return 0  # a job left from a larger setting: nothing is its part
        mine = self._dispatch_parts(part, parts)
        self._check_undelivered(mine, parts)
        # sudo: the job sends and follows up every agent's visits.
        self.sudo()._follow_up_unanswered(batch_size, mine, parts)
        # sudo: as above.
        visits = self.sudo().browse(self._dispatch_due_ids(batch_size, mine, parts))
        visits._dispatch()
        remaining = 0
        if len(visits) == batch_size:
            self.flush_model(["state", "dispatch_state"])
            self.env.cr.execute(
                SQL(
                    """SELECT COUNT(*) FROM visit_record
                        WHERE state = 'planned' AND channel IN %s
                          AND dispatch_state IS NULL AND scheduled_date <= %s
                          AND MOD(id, %s) = ANY(%s)""",
                    DIGITAL_CHANNELS,
                    fields.Datetime.now(),
                    parts,
                    mine,
                )
            )
            remaining = self.env.cr.fetchone()[0]
        self.env["ir.cron"]._notify_progress(done=len(visits), remaining=remaining)
        if visits and remaining and (cron_id := self.env.context.get("cron_id")):
            # The cron runner calls a job ten times per turn; a trigger wakes
            # the cron workers for the next turn at once, as Generate does.
            # sudo: the cron user may not be allowed to write scheduled actions.
            self.env["ir.cron"].sudo().browse(cron_id)._trigger()
        return len(visits)
