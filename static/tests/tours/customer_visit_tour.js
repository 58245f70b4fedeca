/** @odoo-module **/

import { registry } from "@web/core/registry";

// A sales rep opens a customer, schedules a follow-up call from the
// partner's Visits tab, then records the call and closes it.
registry.category("web_tour.tours").add("customer_visit_partner_tour", {
    steps: () => [
        {
            content: "Open the Visits tab of the customer",
            trigger: "a.nav-link[name=customer_visits]",
            run: "click",
        },
        {
            content: "Schedule a visit",
            trigger: ".tab-pane.active button[name=action_schedule_visit]",
            run: "click",
        },
        {
            content: "The visit is prefilled with the customer",
            trigger: ".o_field_widget[name=partner_id] input:value(Tour Customer)",
        },
        {
            content: "Choose the visit type",
            trigger: ".o_field_widget[name=type_id] input",
            run: "edit Tour call",
        },
        {
            trigger: ".o-autocomplete--dropdown-item > a:contains('Tour call')",
            run: "click",
        },
        {
            content: "Save the visit",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The visit got its number",
            trigger: ".o_field_widget[name=name]:contains('HF')",
        },
        {
            content: "Start the call",
            trigger: "button[name=action_start]",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('In Progress')",
        },
        {
            content: "Open the outcome",
            trigger: "a.nav-link[name=outcome]",
            run: "click",
        },
        {
            content: "The customer was reached",
            trigger: ".o_field_widget[name=outcome] select",
            run: 'select "reached"',
        },
        {
            content: "Open the script: the aspects are its items",
            trigger: "a.nav-link[name=script]",
            run: "click",
        },
        {
            content: "Rate the result",
            trigger:
                ".o_field_widget[name=answer_ids] .o_data_row:has(td[name=question]:contains('Result')) td[name=value_level]",
            run: "click",
        },
        {
            trigger:
                ".o_field_widget[name=answer_ids] .o_data_row:has(td[name=question]:contains('Result')) td[name=value_level] select",
            run: 'select "satisfied"',
        },
        {
            content: "Back to the outcome",
            trigger: "a.nav-link[name=outcome]",
            run: "click",
        },
        {
            content: "Write the customer's opinion",
            trigger: ".o_field_widget[name=opinion] textarea",
            run: "edit Very happy with the installation",
        },
        {
            content: "Close the visit",
            trigger: "button[name=action_done]",
            run: "click",
        },
        {
            content: "The visit is done",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Done')",
        },
    ],
});
