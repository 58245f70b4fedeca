/** @odoo-module **/

import { registry } from "@web/core/registry";

// A customer answers a visit's items on a phone: the crown's satisfaction
// shows only after "Yes", faces for the 4 levels, 0-10 buttons.
registry.category("web_tour.tours").add("customer_visit_portal_items_tour", {
    steps: () => [
        {
            content: "The page fits the phone's width; the crown item waits",
            trigger: ".o_visit_answer_form .o_visit_nps",
            run() {
                const overflow = document.documentElement.scrollWidth - window.innerWidth;
                if (window.innerWidth > 480 || overflow > 0) {
                    throw new Error(
                        `Not a phone-size page: width ${window.innerWidth}, overflow ${overflow}px`
                    );
                }
                const crown = document
                    .querySelector(".o_visit_item[data-condition-question] .o_visit_scale4")
                    .closest(".o_visit_item");
                if (!crown.hidden) {
                    throw new Error("The crown's item shows before the crown is confirmed");
                }
            },
        },
        {
            content: "Yes, a crown",
            trigger: ".o_visit_item select.form-select",
            run: "select yes",
        },
        {
            content: "The crown: satisfied",
            trigger:
                ".o_visit_item[data-condition-question] .o_visit_scale4 label.o_visit_face_satisfied",
            run: "click",
        },
        {
            content: "Recommend: 9",
            trigger: ".o_visit_nps input[value='9'] + label",
            run: "click",
        },
        {
            trigger: ".o_visit_nps input[value='9']:checked",
        },
        {
            content: "Send",
            trigger: ".o_visit_answer_send",
            run: "click",
        },
        {
            content: "Thanked",
            trigger: ".alert-success",
        },
    ],
});
