import os
import re

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools.translate import TranslationFileReader

from .common import VisitCommon

I18N = os.path.join(os.path.dirname(os.path.dirname(__file__)), "i18n")


@tagged("post_install", "-at_install")
class TestVisitTranslation(VisitCommon):
    def _terms(self, filename):
        with open(os.path.join(I18N, filename), "rb") as handle:
            reader = TranslationFileReader(handle, fileformat="po")
            return {row["src"]: row["value"] for row in reader}

    def test_zh_cn_translates_every_term_of_the_template(self):
        template = self._terms("customer_visit.pot")
        chinese = self._terms("zh_CN.po")
        self.assertGreater(len(template), 200)
        untranslated = sorted(src for src in template if not chinese.get(src))
        self.assertEqual(untranslated, [])

    def test_zh_cn_is_used_for_data_and_errors(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        env_zh = self.env(context=dict(self.env.context, lang="zh_CN"))
        self.assertEqual(
            env_zh.ref("customer_visit.visit_type_complaint").name, "投诉回访"
        )
        labels = dict(
            env_zh["visit.record"]
            ._fields["satisfaction_product"]
            ._description_selection(env_zh)
        )
        self.assertEqual(labels["fairly_satisfied"], "比较满意")
        visit = self._create_visit()
        with self.assertRefused(ValidationError, "请说明未联系上客户的原因"):
            visit.with_env(env_zh).outcome = "not_reached"

    def test_every_shipped_message_template_reads_in_chinese(self):
        """Each shipped template's Chinese is a translation of its current
        English: the same conditions and the same fields, in Chinese (a
        translation of an earlier wording would lose the conditions)."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["customer_visit"], ["zh_CN"], overwrite=True
        )
        templates = {
            "mail_template_visit_sign_request": "body_html",
            "mail_template_visit_dispatch": "body_html",
            "sms_template_visit_sign_request": "body",
            "sms_template_visit_dispatch": "body",
        }
        code = re.compile(r't-(?:if|elif|else|out|att-href)="[^"]*"|\{\{[^}]*\}\}')
        for xmlid, fname in templates.items():
            template = self.env.ref(f"customer_visit.{xmlid}")
            english = template.with_context(lang="en_US")[fname]
            chinese = template.with_context(lang="zh_CN")[fname]
            with self.subTest(template=xmlid):
                self.assertRegex(chinese, "[\u4e00-\u9fff]")
                self.assertEqual(code.findall(chinese), code.findall(english))
