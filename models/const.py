"""The addon's vocabulary: channels and what each one means, the states of
a visit, the satisfaction scale. Every model, view helper and report reads
these; none restates them.

Stable keys, translated labels (the labels are translated through the
fields whose selection they are).
"""

from collections import namedtuple

# A visit's channel: how it reaches the customer (``transport``: the
# message a job or an agent sends, or None for a call or a meeting),
# whether the customer signs its record there (met in person or answering
# a form: a type requiring a signature requires it on these only; a call, a
# message or a letter has nobody to sign, and the portal's customer signs
# from the portal itself), and whether it is answered online.
Channel = namedtuple("Channel", "key label transport needs_signature digital")
CHANNEL_LIST = (
    Channel("onsite", "On-site", None, True, False),
    Channel("phone", "Phone call", None, False, False),
    Channel("letter", "Letter", None, False, False),
    Channel("sms", "SMS", "sms", False, True),
    Channel("email", "Email", "email", False, True),
    Channel("questionnaire", "Questionnaire", "email", True, True),
    Channel("meeting", "Meeting", None, True, False),
    Channel("portal", "Customer portal", None, False, False),
)
CHANNELS = [(channel.key, channel.label) for channel in CHANNEL_LIST]
# The channels the Dispatch job sends (a questionnaire goes by e-mail), in
# the order the figures list them.
DIGITAL_CHANNELS = ("email", "sms", "questionnaire")
DISPATCH_CHANNELS = [
    (channel.key, channel.label)
    for key in DIGITAL_CHANNELS
    for channel in CHANNEL_LIST
    if channel.key == key
]
EMAIL_CHANNELS = tuple(
    channel.key for channel in CHANNEL_LIST if channel.transport == "email"
)
CHANNELS_NEEDING_SIGNATURE = tuple(
    channel.key for channel in CHANNEL_LIST if channel.needs_signature
)

# A visit is open (owed, still to be done) in these states.
OPEN_STATES = ("planned", "in_progress")

# The four levels of the domain's satisfaction scale, best first.
SATISFACTION_LEVELS = [
    ("satisfied", "Satisfied"),
    ("fairly_satisfied", "Fairly satisfied"),
    ("basically_satisfied", "Basically satisfied"),
    ("unsatisfied", "Unsatisfied"),
]
SATISFACTION_SCORES = {
    "satisfied": 4,
    "fairly_satisfied": 3,
    "basically_satisfied": 2,
    "unsatisfied": 1,
}
# The levels below satisfied (out of the satisfied share): a low score, for
# which the customer may give a reason.
LOW_LEVELS = ("basically_satisfied", "unsatisfied")
# Whose work, which department and which product a visit judged: set at
# planning, kept by its rounds (visit_record_served).
SERVED_FIELDS = ("served_by_id", "served_department_id", "served_product_id")
SATISFACTION_FIELDS = (
    "satisfaction_product",
    "satisfaction_service",
    "satisfaction_timeliness",
    "satisfaction_result",
)
# The four aspects every follow-up policy rates, each an item of a type's
# script on the 4-level scale (visit.type.question.aspect); the visit keeps
# each one's level in its column of SATISFACTION_FIELDS, read by the figures.
ASPECTS = [
    ("product", "Product quality"),
    ("service", "Service attitude"),
    ("timeliness", "Timeliness"),
    ("result", "Result"),
]
ASPECT_FIELDS = dict(
    zip((key for key, _label in ASPECTS), SATISFACTION_FIELDS, strict=True)
)
