import logging

from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

_logger = logging.getLogger(__name__)

# Ids beyond PostgreSQL's integer never exist (and would fail the query).
MAX_ID = 2**31 - 1
# portal.mixin's tokens are UUIDs; anything much longer is not one.
MAX_TOKEN = 64


class VisitPortal(CustomerPortal):
    """My visits, and the customer's tokenized visit page: read, sign,
    answer, pick a callback slot, or ask not to be contacted again.

    Thin on purpose: every route checks access and input, then calls the
    model, which checks again who acts; any refused access answers 404 and
    reveals nothing. Only the customer acts (answer, callback, opt-out,
    signature): with the visit's valid link, or signed in as a portal user
    of the customer's company. An employee reads the page, without its
    forms, and is refused the actions (403): Log Outcome in the back office
    is theirs.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "visit_count" in counters:
            Visit = request.env["visit.record"]
            values["visit_count"] = (
                Visit.search_count(self._visit_domain())
                if Visit.has_access("read")
                else 0
            )
        return values

    def _visit_domain(self):
        partner = request.env.user.partner_id
        return [("partner_id", "child_of", [partner.commercial_partner_id.id])]

    @staticmethod
    def _clean_token(access_token):
        """The token as sent, if it can be one (the sign route's JSON may
        carry anything)."""
        if isinstance(access_token, str) and 0 < len(access_token) <= MAX_TOKEN:
            return access_token
        return None

    def _visit_or_404(self, visit_id, access_token):
        """The visit (sudo, to render), or 404. Reached by its token (not by
        the user's own rights), the link works while the visit is open and
        the company's days after it closed, then answers as a wrong token."""
        access_token = self._clean_token(access_token)
        if not 0 < visit_id <= MAX_ID:
            raise NotFound()
        Visit = request.env["visit.record"]
        own = Visit.browse(visit_id).exists().has_access("read")
        try:
            visit = self._document_check_access("visit.record", visit_id, access_token)
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        if not own and visit._portal_link_expired():
            raise NotFound()
        return visit

    def _visit_customer(self, visit, access_token):
        """The partner acting as the visit's customer, or None (an employee
        reading the page)."""
        try:
            return (
                request.env["visit.record"]
                .browse(visit.id)
                ._portal_customer(self._clean_token(access_token))
            )
        except AccessError:
            return None

    def _visit_for_action(self, visit_id, access_token):
        """The visit (sudo, to render) for one of the customer's actions:
        404 when not found or not theirs, 403 for an employee."""
        visit = self._visit_or_404(visit_id, access_token)
        if request.env.user._is_internal():
            raise Forbidden(
                request.env._(
                    "Only the customer acts on this page: log the outcome in "
                    "the back office."
                )
            )
        return visit

    def _as_user(self, visit):
        """The visit as the request's user, for the model to check who acts."""
        return request.env["visit.record"].browse(visit.id)

    @staticmethod
    def _visit_url(visit, access_token, message):
        """The visit page after an action: with the token it came with."""
        if access_token:
            return visit.get_portal_url(query_string=f"&message={message}")
        return f"{visit.access_url}?message={message}"

    def _visit_redirect(self, visit, access_token, message):
        return request.redirect(self._visit_url(visit, access_token, message))

    @http.route(
        ["/my/visits", "/my/visits/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_visits(self, page=1, **kw):
        Visit = request.env["visit.record"]
        domain = self._visit_domain()
        count = Visit.search_count(domain)
        pager = portal_pager(
            url="/my/visits", total=count, page=page, step=self._items_per_page
        )
        visits = Visit.search(
            domain,
            order="scheduled_date desc",
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_visits_history"] = visits.ids[:100]
        return request.render(
            "customer_visit.portal_my_visits",
            {
                # sudo: the visits the user's rules let them list, rendered
                # with their links (whose tokens the user may not read).
                "visits": visits.sudo(),
                "page_name": "visit",
                "pager": pager,
                "default_url": "/my/visits",
            },
        )

    @http.route(["/my/visits/<int:visit_id>"], type="http", auth="public", website=True)
    def portal_visit_page(self, visit_id, access_token=None, message=None, **kw):
        visit = self._visit_or_404(visit_id, access_token)
        # Opening the page is not noted as opened: link scanners open it too
        # (the customer's first action is, see _portal_opened).
        if message not in ("signed", "answered", "callback", "optout"):
            message = None
        return self._visit_render(visit, access_token, {"message": message}, **kw)

    def _visit_render(self, visit, access_token, values, status=200, **kw):
        values = self._get_page_view_values(
            visit,
            access_token,
            dict(values, visit=visit, page_name="visit"),
            "my_visits_history",
            False,
            **kw,
        )
        values.update(self._visit_page_flags(visit, access_token))
        return request.render("customer_visit.portal_visit_page", values, status=status)

    def _visit_page_flags(self, visit, access_token):
        """What the page offers: the customer's forms, to the customer only
        (an employee reads the page without them)."""
        customer = self._visit_customer(visit, access_token)
        opted_out = visit.partner_id._visit_opted_out()
        # A signed visit is answered already: nothing left to answer or book.
        is_open = bool(
            customer and visit.is_open and not opted_out and not visit.signature_hash
        )
        identified = bool(customer) and self._as_user(visit)._portal_identified(
            customer
        )
        return {
            "can_sign": bool(customer) and visit._can_be_signed(),
            "can_answer": is_open and visit._portal_can_answer(identified),
            "can_pick_slot": is_open,
            "can_opt_out": bool(customer) and not opted_out,
            "calling_hours": visit._calling_hours_text() if is_open else "",
            "calling_hours_zone": visit._calling_hours_zone() if is_open else "",
            "slots": visit._callback_slots() if is_open else [],
            # Times as the customer reads them: their zone, labelled.
            "time_zone": visit._portal_tz().zone,
            "scheduled_text": visit._portal_when(visit.scheduled_date),
            "signed_on_text": visit._portal_when(visit.signed_on),
            "aspects": visit._portal_aspects(),
            "levels": visit._portal_levels(),
        }

    @staticmethod
    def _sign_refused(visit_id, message):
        """The error the signature dialog shows, logged for support."""
        _logger.info("Visit %s: portal signature refused: %s", visit_id, message)
        return {"error": message}

    @http.route(
        ["/my/visits/<int:visit_id>/sign"], type="json", auth="public", website=True
    )
    def portal_visit_sign(
        self, visit_id, access_token=None, name=None, signature=None, **kw
    ):
        access_token = access_token or request.httprequest.args.get("access_token")
        if kw:
            return self._sign_refused(
                visit_id, request.env._("Send only a name and a signature.")
            )
        try:
            visit = self._visit_for_action(visit_id, access_token)
        except Forbidden as error:
            return self._sign_refused(visit_id, error.description)
        except NotFound:
            return self._sign_refused(
                visit_id, request.env._("This visit cannot be found.")
            )
        try:
            self._as_user(visit)._portal_sign(
                name, signature, self._clean_token(access_token)
            )
        except AccessError:
            return self._sign_refused(
                visit_id, request.env._("This visit cannot be found.")
            )
        except (UserError, ValidationError) as error:
            return self._sign_refused(visit_id, str(error.args[0]))
        return {
            "force_refresh": True,
            "redirect_url": self._visit_url(visit, access_token, "signed"),
        }

    @http.route(
        ["/my/visits/<int:visit_id>/answer"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_visit_answer(self, visit_id, access_token=None, **post):
        visit = self._visit_for_action(visit_id, access_token)
        try:
            # A refused answer writes nothing (the request still commits).
            with request.env.cr.savepoint():
                self._as_user(visit)._portal_answer(
                    {
                        key[len("answer_") :]: value
                        for key, value in post.items()
                        if key.startswith("answer_")
                    },
                    post.get("opinion", ""),
                    {
                        key[len("rating_") :]: value
                        for key, value in post.items()
                        if key.startswith("rating_")
                    },
                    self._clean_token(access_token),
                    reasons=[
                        value
                        for key, value in post.items()
                        if key.startswith("reason_")
                    ],
                )
        except AccessError as error:
            raise NotFound() from error
        except (UserError, ValidationError) as error:
            return self._visit_error(visit, access_token, error, posted=post)
        return self._visit_redirect(visit, access_token, "answered")

    @http.route(
        ["/my/visits/<int:visit_id>/callback"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_visit_callback(self, visit_id, access_token=None, slot=None, **post):
        visit = self._visit_for_action(visit_id, access_token)
        try:
            # A refused time writes nothing (the request still commits).
            with request.env.cr.savepoint():
                self._as_user(visit)._portal_pick_callback(
                    slot, self._clean_token(access_token)
                )
        except AccessError as error:
            raise NotFound() from error
        except (UserError, ValidationError) as error:
            return self._visit_error(visit, access_token, error)
        return self._visit_redirect(visit, access_token, "callback")

    @http.route(
        ["/my/visits/<int:visit_id>/optout"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_visit_optout(self, visit_id, access_token=None, confirm=None, **post):
        """Two steps: the page asks to confirm, only then the wish is kept."""
        visit = self._visit_for_action(visit_id, access_token)
        if visit.partner_id._visit_opted_out():
            return self._visit_redirect(visit, access_token, "optout")
        if confirm != "yes":
            return self._visit_render(visit, access_token, {"confirm_opt_out": True})
        try:
            self._as_user(visit)._portal_opt_out(self._clean_token(access_token))
        except AccessError as error:
            raise NotFound() from error
        return self._visit_redirect(visit, access_token, "optout")

    def _visit_error(self, visit, access_token, error, posted=None):
        """The page again with the error, and what the customer gave
        (``posted``) so that they correct it rather than start over."""
        return self._visit_render(
            visit,
            access_token,
            {"error_message": str(error.args[0]), "posted": posted or {}},
            status=400,
        )
