"""Fields a portal user may read, by model: an allow-list.

Portal users read the visits of their company (and their answers and
types) through the portal's record rules; over JSON-RPC they could read
every field of them. Each portal-readable model names what its portal page
shows; every other field it has, now or added later by any slice, is given
to employees only (``groups="base.group_user"``), as if declared so. The
mail and portal mixins' own fields keep their own rules (the chatter's),
except the portal token: each visit's own, never another's.
"""

EMPLOYEES = "base.group_user"
# Fields of the mixins that follow rules of their own.
_MIXINS = ("mail.thread", "mail.activity.mixin", "portal.mixin")


def employee_only_fields(model, readable):
    """Give employees only the fields of ``model`` not in ``readable``.

    Called from the model's ``_setup_fields``: fields already restricted to
    a group keep theirs.
    """
    registry = model.env.registry
    mixin_fields = set()
    for mixin in _MIXINS:
        if mixin in registry:
            mixin_fields.update(registry[mixin]._fields)
    mixin_fields.discard("access_token")
    for name, field in model._fields.items():
        if name in readable or name in mixin_fields or field.groups:
            continue
        field.groups = EMPLOYEES
