from collections import Counter

from odoo import fields, models
from odoo.exceptions import UserError

ASSIGNMENTS = [
    ("owner", "The source's salesperson or ticket user"),
    ("user", "One user"),
    ("round_robin", "Round-robin over a team"),
    ("least_loaded", "Least loaded in a team"),
]


class VisitAssignmentMixin(models.AbstractModel):
    """Who makes the visits: the batch wizard and the rules assign alike."""

    _name = "visit.assignment.mixin"
    _description = "Visit Assignment Policy"

    assignment = fields.Selection(ASSIGNMENTS, required=True, default="owner")
    user_id = fields.Many2one(
        "res.users", string="Assign to", domain="[('share', '=', False)]"
    )
    team_id = fields.Many2one(
        "crm.team",
        help="Agents for round-robin and least-loaded assignment; its leader "
        "takes the visits of an assignee who is no longer active.",
    )
    exclude_salesperson = fields.Boolean(
        string="Never the salesperson",
        help="Compliance callbacks are made by someone who is not the "
        "salesperson of the order.",
    )

    def _check_assignment(self):
        """Refuse an assignment policy that cannot assign anybody."""
        for policy in self:
            if policy.assignment == "user" and not policy.user_id:
                raise UserError(self.env._("Choose the user who makes the visits."))
            if policy.assignment == "owner" and policy.exclude_salesperson:
                raise UserError(
                    self.env._(
                        "“The source's salesperson” gives the visits to the "
                        "salesperson: choose another assignment to keep them "
                        "independent."
                    )
                )
            if (
                policy.assignment in ("round_robin", "least_loaded")
                and not policy._team_agents()
            ):
                raise UserError(
                    self.env._(
                        "The team %s has no active user to give the visits to.",
                        policy.team_id.name or "-",
                    )
                )

    def _team_agents(self):
        members = self.team_id.member_ids | self.team_id.user_id
        return members.filtered(lambda user: user.active and not user.share).sorted(
            "id"
        )

    @staticmethod
    def _source_owner(source):
        """The salesperson (order, contact) or the user (ticket) of a source."""
        if (
            "user_id" in source._fields
            and source._fields["user_id"].comodel_name == "res.users"
        ):
            return source.user_id
        return source.env["res.users"]

    def _fallback_leader(self, source):
        """Who takes the visits of an inactive assignee: the team leader."""
        leader = self.team_id.user_id
        if not leader and "team_id" in source._fields:
            leader = getattr(source.team_id, "user_id", self.env["res.users"])
        return leader if leader and leader.active else self.env["res.users"]

    def _visit_assigner(self, visit_types=None):
        """A function source -> user (empty: unassigned, None: nobody allowed).

        An assignee who is no longer active is replaced by the team leader;
        with the independence option (the policy's or the visit type's) the
        source's salesperson never gets the visit, whatever the policy; a
        team shares the visits of a type among its qualified members only.
        """
        self.ensure_one()
        Users = self.env["res.users"]
        owner_of = self._source_owner
        visit_types = visit_types or self.env["visit.type"]
        exclude = self.exclude_salesperson or any(
            visit_types.mapped("exclude_salesperson")
        )

        def allowed(source, user):
            if user and not user.active:
                user = self._fallback_leader(source)
            if exclude and user and user == owner_of(source):
                return None
            return user

        if self.assignment == "owner":
            return lambda source: allowed(source, owner_of(source) or Users)
        if self.assignment == "user":
            return lambda source: allowed(source, self.user_id)
        agents = self._team_agents()
        if visit_types:
            agents = agents.filtered(
                lambda user: all(
                    visit_type._may_be_assigned(user) for visit_type in visit_types
                )
            )
        if self.assignment == "round_robin":
            turn = [0]

            def round_robin(source):
                candidates = agents - owner_of(source) if exclude else agents
                if not candidates:
                    return None
                for _attempt in range(len(agents)):
                    agent = agents[turn[0] % len(agents)]
                    turn[0] += 1
                    if agent in candidates:
                        return agent
                return None

            return round_robin
        # sudo: the load counts every open visit, including those the
        # current user's record rules would hide.
        load = Counter(
            {
                user.id: count
                for user, count in self.env["visit.record"]
                .sudo()
                ._read_group(
                    [
                        ("user_id", "in", agents.ids),
                        ("is_open", "=", True),
                    ],
                    ["user_id"],
                    ["__count"],
                )
            }
        )

        def least_loaded(source):
            candidates = agents - owner_of(source) if exclude else agents
            if not candidates:
                return None
            agent = min(candidates, key=lambda user: (load[user.id], user.id))
            load[agent.id] += 1
            return agent

        return least_loaded
