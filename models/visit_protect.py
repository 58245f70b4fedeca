"""Fields only the addon's own actions write.

State, closing, review, due date, signature and plan links are read-only
on screen; a direct ``write`` of them (JSON-RPC, an import) is refused
unless it runs inside one of the addon's actions: buttons, wizards and jobs
are marked with ``@addon_action`` (or open ``addon_write()`` around the
write). The mark is a flag of the running code, not a context key: no RPC
call can pass it.
"""

import contextvars
import functools
from contextlib import contextmanager

_ADDON_WRITE = contextvars.ContextVar("customer_visit_addon_write", default=False)


@contextmanager
def addon_write():
    """Within this block the addon's own code writes protected fields."""
    token = _ADDON_WRITE.set(True)
    try:
        yield
    finally:
        _ADDON_WRITE.reset(token)


def addon_action(method):
    """Mark a button, wizard action or job as the addon's own action."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with addon_write():
            return method(self, *args, **kwargs)

    return wrapper


def is_addon_write(env):
    """Whether protected fields may be written now: by the addon's own
    actions, or as superuser (jobs, install, upgrades)."""
    return env.su or _ADDON_WRITE.get()


def refused_fields(records, vals, protected, correctable=(), manager_group=None):
    """The protected fields ``vals`` would change on ``records`` (a value
    equal to the stored one, as a form sends back, changes nothing) and
    the current user may not write. On an empty recordset (a create), any
    value but an empty one."""
    env = records.env
    if is_addon_write(env):
        return set()
    fields = {
        fname
        for fname in set(protected).intersection(vals)
        if _changes(records, fname, vals[fname])
    }
    if fields and correctable and manager_group and env.user.has_group(manager_group):
        fields -= set(correctable)
    return fields


def _changes(records, fname, value):
    field = records._fields[fname]
    if not records:
        return bool(value)
    if field.type in ("one2many", "many2many"):
        return bool(value)
    new = field.convert_to_cache(value, records, validate=False)
    return any(
        field.convert_to_cache(record[fname], record, validate=False) != new
        for record in records
    )


def field_labels(records, fnames):
    """The labels of ``fnames`` on ``records``' model, for a message."""
    env = records.env
    labels = (records._fields[fname]._description_string(env) for fname in fnames)
    return ", ".join(sorted(labels))
