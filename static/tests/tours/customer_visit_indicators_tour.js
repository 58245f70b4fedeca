/** @odoo-module **/

import { registry } from "@web/core/registry";

// A manager opens the Indicators page on the current cycle, reads the
// callback rate against its target and opens the cases behind it.
registry.category("web_tour.tours").add("customer_visit_indicators_tour", {
    steps: () => [
        {
            content: "The page opens on the current cycle, sections first",
            trigger: ".o_visit_indicators .card[data-section=coverage] .card-header",
        },
        {
            content: "No New or Save button: a report, not a record",
            trigger: ".o_visit_indicators:not(:has(.o_form_button_save)):not(:has(.o_list_button_add))",
        },
        {
            content: "The overall callback rate is shown in % with its fraction and target",
            trigger:
                ".o_visit_indicators tr[data-indicator=callback_rate]:contains('All types'):contains('%'):contains('1 / 2'):contains('≥ 90')",
        },
        {
            content: "It missed its target: a red badge",
            trigger: ".o_visit_indicators tr[data-indicator=callback_rate]:contains('All types') .badge.text-bg-danger",
        },
        {
            content: "Open the cases behind the figure",
            trigger: ".o_visit_indicators tr[data-indicator=callback_rate]:contains('All types') a.o_visit_figure",
            run: "click",
        },
        {
            content: "The owed cases are listed: the visit done and the one missed",
            trigger: ".o_list_view .o_data_row:nth-child(2):contains('Tour Indicator Customer')",
        },
        {
            trigger: ".o_list_view:not(:has(.o_data_row:nth-child(3)))",
        },
    ],
});
