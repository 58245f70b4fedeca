"""Filters users write (a rule's records, exclusions and population, the
batch wizard's records) are data: literal domains, never code.

They are read the way mass mailing reads its domains (``ast.literal_eval``),
then checked leaf by leaf: a field path, an operator Odoo knows and a plain
value. No name, call or attribute is ever evaluated, so a filter cannot reach
``user``, ``env`` or anything else of the server.
"""

import ast

from odoo.osv import expression

# A filter longer than this is refused before it is parsed (literal_eval
# of a huge or deeply nested text costs memory and recursion).
MAX_DOMAIN_LENGTH = 100_000
LIMIT_TEXT = f"{MAX_DOMAIN_LENGTH:,}"
LOGIC_OPERATORS = ("&", "|", "!")
SCALARS = (str, int, float, bool, type(None))


def _is_literal_value(value):
    if isinstance(value, SCALARS):
        return True
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, SCALARS) for item in value)
    return False


def _is_leaf(item):
    if not isinstance(item, (list, tuple)) or len(item) != 3:
        return False
    left, operator, value = item
    if (left, operator, value) in (expression.TRUE_LEAF, expression.FALSE_LEAF):
        return True
    return (
        isinstance(left, str)
        and bool(left)
        and isinstance(operator, str)
        and operator.lower() in expression.TERM_OPERATORS
        and _is_literal_value(value)
    )


def literal_domain(env, text):
    """The normalized domain written in ``text``.

    Raises ``ValueError`` with a translated message when ``text`` is not a
    literal domain: a list of conditions ``(field, operator, value)`` whose
    values are plain text, numbers, booleans or lists of them, joined by
    ``&``, ``|`` and ``!``.
    """
    text = (text or "").strip() or "[]"
    if len(text) > MAX_DOMAIN_LENGTH:
        raise ValueError(env._("the filter is longer than %s characters", LIMIT_TEXT))
    try:
        domain = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise ValueError(
            env._(
                "a filter is a list of conditions written as plain values "
                "(field, operator, value); names, calls and expressions such "
                "as %s are not allowed",
                text[:60],
            )
        ) from error
    if not isinstance(domain, (list, tuple)):
        raise ValueError(env._("a filter is a list of conditions"))
    if not domain:
        return []
    for item in domain:
        if item in LOGIC_OPERATORS:
            continue
        if not _is_leaf(item):
            raise ValueError(
                env._(
                    "%s is not a condition (field, operator, plain value)",
                    repr(item)[:80],
                )
            )
    try:
        return expression.normalize_domain(
            [item if isinstance(item, str) else tuple(item) for item in domain]
        )
    except (AssertionError, ValueError, IndexError) as error:
        raise ValueError(
            env._("the conditions and the operators &, | and ! do not match")
        ) from error
