import ast
import os
import re

from odoo.tests import TransactionCase, tagged

MODELS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "models")
# The files of visit.record, in the order models/__init__.py loads them: the
# base first, then its slices (see the architecture's "Files of the visit").
VISIT_FILES = [
    "visit_record",
    "visit_record_signature",
    "visit_record_helpdesk",
    "visit_record_dispatch",
    "visit_record_portal",
    "visit_record_erasure",
]


@tagged("post_install", "-at_install")
class TestHouseLayout(TransactionCase):
    """The visit's files depend one way: a file uses what an earlier file
    (or the framework) defines, never a name only a later file defines."""

    def _members(self, source):
        """The names a file defines on its model classes."""
        names = set()
        for node in ast.parse(source).body:
            if not isinstance(node, ast.ClassDef):
                continue
            for member in node.body:
                if isinstance(member, ast.FunctionDef):
                    names.add(member.name)
                elif isinstance(member, ast.Assign) and isinstance(
                    member.targets[0], ast.Name
                ):
                    names.add(member.targets[0].id)
        return {name for name in names if not name.startswith("__")}

    def test_the_files_load_in_the_documented_order(self):
        with open(os.path.join(MODELS, "__init__.py")) as init:
            loaded = re.findall(r"from \. import (\w+)", init.read())
        self.assertEqual([name for name in loaded if name in VISIT_FILES], VISIT_FILES)

    def test_no_file_uses_a_name_only_a_later_file_defines(self):
        sources, first = {}, {}
        for index, name in enumerate(VISIT_FILES):
            with open(os.path.join(MODELS, f"{name}.py")) as source:
                sources[name] = source.read()
            for member in self._members(sources[name]):
                first.setdefault(member, index)
        # What the framework defines (mail.thread, portal.mixin, BaseModel…)
        # may be overridden anywhere and used everywhere.
        framework = {
            member
            for member in first
            if any(
                member in vars(cls)
                for cls in type(self.env["visit.record"]).__mro__
                if not cls.__module__.startswith("odoo.addons.customer_visit")
            )
        }
        used_later = [
            f"{name} uses {member} ({VISIT_FILES[index]})"
            for position, name in enumerate(VISIT_FILES)
            for member, index in first.items()
            if index > position
            and member not in framework
            and re.search(rf"\b{re.escape(member)}\b", sources[name])
        ]
        self.assertEqual(used_later, [])
