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
            // Odoo draws the name into the signature area asynchronously
            // (fonts, then an image); the submit button is enabled before
            // that, and a submit then sends a blank signature ("The
            // signature is missing."): wait until the canvas has ink.
            content: "The name is drawn as the signature",
            trigger: ".modal canvas.o_web_sign_signature",
            async run() {
                const canvas = this.anchor;
                const inked = () =>
                    canvas
                        .getContext("2d")
                        .getImageData(0, 0, canvas.width, canvas.height)
                        .data.some((value, index) => index % 4 === 3 && value > 0);
                for (let tries = 0; tries < 100 && !inked(); tries++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                if (!inked()) {
                    throw new Error("The signature was never drawn.");
                }
            },
        },
        {
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
