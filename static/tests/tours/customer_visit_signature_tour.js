/** @odoo-module **/

import { registry } from "@web/core/registry";

// A manager opens a signed visit and checks that its signed content is
// reported unchanged (the web client reads the signature as its size only).
registry.category("web_tour.tours").add("customer_visit_signature_check_tour", {
    steps: () => [
        {
            content: "Open the Signature tab of the signed visit",
            trigger: "a.nav-link[name=signature]",
            run: "click",
        },
        {
            content: "The signer is shown",
            trigger: ".tab-pane.active .o_field_widget[name=signed_by]:contains('王建国')",
        },
        {
            content: "The signed content is reported unchanged",
            trigger: ".tab-pane.active .o_field_widget[name=is_signature_valid] input[type=checkbox]:checked",
        },
    ],
});
