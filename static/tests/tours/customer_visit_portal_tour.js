/** @odoo-module **/

import { registry } from "@web/core/registry";

// A customer opens the link received by e-mail and signs the visit sheet.
registry.category("web_tour.tours").add("customer_visit_portal_sign_tour", {
    steps: () => [
        {
            content: "The visit summary is shown",
            trigger: "#visit_content:contains('All good')",
        },
        {
            content: "Sign",
            trigger: "a[data-bs-target='#modalvisitsign']",
            run: "click",
        },
        {
            trigger: ".modal .o_web_sign_name_and_signature input:value(Signing Customer)",
        },
        {
            // Odoo draws the signature from the name when the dialog opens;
            // picking another style redraws it asynchronously, and a submit
            // during that redraw sent a blank image under load.
            content: "Submit the signature drawn from the name",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
        },
        {
            content: "The signature is on the page",
            trigger: ".alert-success:contains('the visit is signed')",
        },
        {
            trigger: ".o_visit_signed:contains('Signing Customer')",
        },
    ],
});
