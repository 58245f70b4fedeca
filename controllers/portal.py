import logging
from datetime import datetime

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

_logger = logging.getLogger(__name__)


class VisitPortal(CustomerPortal):
    """My visits, and the customer's tokenized visit page: read, sign,
    answer, pick a callback slot, or ask not to be contacted again.

    Thin on purpose: every route checks access and input, then calls the
    model; any refused access answers 404 and reveals nothing.
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

    def _visit_or_404(self, visit_id, access_token):
        try:
            return self._document_check_access("visit.record", visit_id, access_token)
        except (AccessError, MissingError) as error:
            raise NotFound() from error

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
                "visits": visits,
                "page_name": "visit",
                "pager": pager,
                "default_url": "/my/visits",
            },
        )

    @http.route(["/my/visits/<int:visit_id>"], type="http", auth="public", website=True)
    def portal_visit_page(self, visit_id, access_token=None, message=None, **kw):
        visit = self._visit_or_404(visit_id, access_token)
        values = self._get_page_view_values(
            visit,
            access_token,
            {"visit": visit, "message": message, "page_name": "visit"},
            "my_visits_history",
            False,
            **kw,
        )
        values.update(self._visit_page_flags(visit))
        return request.render("customer_visit.portal_visit_page", values)

    def _visit_page_flags(self, visit):
        is_open = visit.state in ("planned", "in_progress")
        return {
            "can_sign": visit.state in ("planned", "in_progress", "done")
            and visit.outcome == "reached"
            and not visit.signature_hash,
            "can_answer": is_open and bool(visit.answer_ids),
            "can_pick_slot": is_open,
            "can_opt_out": not visit.env["visit.planner"]._is_opted_out(
                visit.partner_id
            ),
        }

    @staticmethod
    def _sign_refused(visit_id, message):
        """The error the signature dialog shows, logged for support."""
        _logger.info("Visit %s: portal signature refused: %s", visit_id, message)
        return {"error": message}

    @http.route(
        ["/my/visits/<int:visit_id>/sign"], type="json", auth="public", website=True
    )
    def portal_visit_sign(self, visit_id, access_token=None, name=None, signature=None):
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            visit = self._document_check_access("visit.record", visit_id, access_token)
        except (AccessError, MissingError):
            return self._sign_refused(
                visit_id, request.env._("This visit cannot be found.")
            )
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            return self._sign_refused(
                visit_id, request.env._("Give your name (at most 128 characters).")
            )
        if not isinstance(signature, str) or not signature:
            return self._sign_refused(
                visit_id, request.env._("The signature is missing.")
            )
        try:
            visit._sign(name.strip(), signature)
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
        visit = self._visit_or_404(visit_id, access_token)
        try:
            visit._portal_answer(
                {
                    key[len("answer_") :]: value
                    for key, value in post.items()
                    if key.startswith("answer_")
                },
                post.get("opinion", ""),
            )
        except (UserError, ValidationError) as error:
            return self._visit_error(visit, access_token, error)
        return self._visit_redirect(visit, access_token, "answered")

    @http.route(
        ["/my/visits/<int:visit_id>/callback"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_visit_callback(self, visit_id, access_token=None, slot=None, **post):
        visit = self._visit_or_404(visit_id, access_token)
        try:
            local = datetime.strptime(slot or "", "%Y-%m-%dT%H:%M")
        except ValueError:
            return self._visit_error(
                visit,
                access_token,
                UserError(request.env._("Choose a date and a time.")),
            )
        try:
            visit._portal_pick_callback(local)
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
    def portal_visit_optout(self, visit_id, access_token=None, **post):
        visit = self._visit_or_404(visit_id, access_token)
        visit._portal_opt_out()
        return self._visit_redirect(visit, access_token, "optout")

    def _visit_error(self, visit, access_token, error):
        values = self._get_page_view_values(
            visit,
            access_token,
            {"visit": visit, "page_name": "visit", "error_message": str(error.args[0])},
            "my_visits_history",
            False,
        )
        values.update(self._visit_page_flags(visit))
        return request.render("customer_visit.portal_visit_page", values, status=400)
