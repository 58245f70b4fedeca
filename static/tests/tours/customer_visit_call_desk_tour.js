/** @odoo-module **/

import { registry } from "@web/core/registry";

// An agent opens "My Visits", takes the due call and logs its outcome.
registry.category("web_tour.tours").add("customer_visit_agent_call_tour", {
    steps: () => [
        {
            content: "The due visit is listed first",
            trigger: ".o_list_view .o_data_row:first-child:contains('Tour Caller')",
        },
        {
            content: "Open it",
            trigger: ".o_data_row td[name=partner_id]:contains('Tour Caller')",
            run: "click",
        },
        {
            content: "The number to call is a tel: link",
            trigger: ".o_field_widget[name=phone]:has(a[href^='tel:+8613800138000'])",
        },
        {
            content: "Log the outcome",
            trigger: "button[name=action_open_outcome_wizard]",
            run: "click",
        },
        {
            content: "Say the customer was reached (nothing is preselected)",
            trigger: ".modal .o_field_widget[name=outcome] input[data-value=reached]",
            run: "click",
        },
        {
            content: "Answer the script",
            trigger: ".modal .o_field_widget[name=answer_ids] .o_data_row:first-child td[name=value_yes_no]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=answer_ids] .o_data_row:first-child td[name=value_yes_no] select",
            run: 'select "yes"',
        },
        {
            content: "Rate the service (an item of the script)",
            trigger:
                ".modal .o_field_widget[name=answer_ids] .o_data_row:has(td[name=question]:contains('Service attitude')) td[name=value_level]",
            run: "click",
        },
        {
            trigger:
                ".modal .o_field_widget[name=answer_ids] .o_data_row:has(td[name=question]:contains('Service attitude')) td[name=value_level] .o_selection_badge[value='\"fairly_satisfied\"']",
            run: "click",
        },
        {
            content: "Write the opinion",
            trigger: ".modal .o_field_widget[name=opinion] textarea",
            run: "edit Engineer was friendly",
        },
        {
            content: "Save and close the visit",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The visit is done",
            trigger: "body:not(:has(.modal)) .o_statusbar_status button.o_arrow_button_current:contains('Done')",
        },
    ],
});

// A manager selects sale orders and launches a batch of callbacks.
registry.category("web_tour.tours").add("customer_visit_batch_tour", {
    steps: () => [
        {
            content: "Find the orders",
            trigger: ".o_searchview_input",
            run: "edit Batch Tour Co",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Batch Tour Co')",
        },
        {
            content: "Select them all",
            trigger: "thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the actions",
            trigger: ".o_cp_action_menus button:contains(Actions)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Batch Callbacks')",
            run: "click",
        },
        {
            content: "Choose the visit type",
            trigger: ".modal .o_field_widget[name=type_id] input",
            run: "edit Tour batch call",
        },
        {
            trigger: ".o-autocomplete--dropdown-item > a:contains('Tour batch call')",
            run: "click",
        },
        {
            content: "Preview before writing",
            trigger: ".modal button[name=action_preview]",
            run: "click",
        },
        {
            content: "Two visits, one skip",
            trigger: ".modal .alert-info:contains('visits will be created') .o_field_widget[name=to_create_count]:contains('2')",
        },
        {
            trigger: ".modal .o_field_widget[name=line_ids] td:contains('Asked not to be contacted')",
        },
        {
            content: "Create the visits",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The new visits are listed",
            trigger: "body:not(:has(.modal)) .o_list_view .o_data_row:contains('Tour batch call')",
        },
    ],
});
