/** @odoo-module **/

import { registry } from "@web/core/registry";

// A Chinese customer opens the link of an SMS on a phone and answers the
// visit: faces per aspect, four stars, an opinion, send.
registry.category("web_tour.tours").add("customer_visit_portal_answer_tour", {
    steps: () => [
        {
            content: "The calling hours read as hours, in Chinese",
            trigger: ".o_visit_calling_hours:contains('周一至周五 08:30–11:00、14:00–16:00')",
        },
        {
            content: "The page fits the phone's width",
            trigger: ".o_visit_answer_form",
            run() {
                const overflow = document.documentElement.scrollWidth - window.innerWidth;
                if (window.innerWidth > 480 || overflow > 0) {
                    throw new Error(
                        `Not a phone-size page: width ${window.innerWidth}, overflow ${overflow}px`
                    );
                }
            },
        },
        {
            content: "Product quality (an item, worded in Chinese): satisfied",
            trigger:
                ".o_visit_item:has(label.form-label:contains('产品质量')) label.o_visit_face_satisfied:contains('满意')",
            run: "click",
        },
        {
            content: "Service attitude: fairly satisfied",
            trigger:
                ".o_visit_item:has(label.form-label:contains('服务态度')) label.o_visit_face_fairly_satisfied:contains('比较满意')",
            run: "click",
        },
        {
            trigger:
                ".o_visit_item:has(label.form-label:contains('服务态度')) input[value=fairly_satisfied]:checked",
        },
        {
            content: "The technician: four stars",
            trigger: ".o_visit_stars[role='radiogroup'] input[value='4'] + label.o_visit_star",
            run: "click",
        },
        {
            content: "The stars up to the fourth fill, the fifth stays empty",
            trigger: ".o_visit_stars input[value='4']:checked",
            run() {
                const shown = (value) => {
                    const label = document.querySelector(
                        `.o_visit_stars input[value='${value}'] + label`
                    );
                    return getComputedStyle(label.querySelector(".o_visit_star_full"))
                        .display !== "none";
                };
                const filled = [1, 2, 3, 4, 5].map(shown);
                if (filled.join() !== "true,true,true,true,false") {
                    throw new Error(`Stars filled: ${filled.join()}`);
                }
            },
        },
        {
            content: "Write an opinion",
            trigger: "#visit_opinion",
            run: "edit 师傅很专业",
        },
        {
            content: "Send",
            trigger: ".o_visit_answer_send:contains('提交')",
            run: "click",
        },
        {
            content: "Thanked, in Chinese",
            trigger: ".alert-success:contains('感谢您的回答')",
        },
        {
            trigger: "#visit_content:contains('师傅很专业')",
        },
    ],
});
