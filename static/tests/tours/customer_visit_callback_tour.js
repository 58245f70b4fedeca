/** @odoo-module **/

import { registry } from "@web/core/registry";

function tomorrowAt15() {
    // The date as the en_US web client types it: MM/DD/YYYY HH:mm:ss.
    const day = new Date();
    day.setDate(day.getDate() + 1);
    const pad = (number) => String(number).padStart(2, "0");
    return `${pad(day.getMonth() + 1)}/${pad(day.getDate())}/${day.getFullYear()} 15:00:00`;
}

// An agent calls, the customer is busy and asks to be called back at
// 15:00 tomorrow: the agent logs it, and finds the visit placed then.
registry.category("web_tour.tours").add("customer_visit_callback_tour", {
    steps: () => [
        {
            content: "Log the outcome of the call",
            trigger: "button[name=action_open_outcome_wizard]",
            run: "click",
        },
        {
            content: "Nobody reached",
            trigger: ".modal .o_field_widget[name=outcome] input[data-value=not_reached]",
            run: "click",
        },
        {
            content: "Busy — call back",
            trigger: ".modal .o_field_widget[name=unreached_reason_id] input",
            run: "edit Busy",
        },
        {
            trigger: ".modal .o-autocomplete--dropdown-item > a:contains('Busy — call back')",
            run: "click",
        },
        {
            content: "The time the customer gave: tomorrow at 15:00",
            trigger: ".modal .o_field_widget[name=callback_date] input",
            run: `edit ${tomorrowAt15()}`,
        },
        {
            content: "Close the date picker",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The chatter says when the customer asked to be called",
            trigger: ".o-mail-Message-body:contains('asked to be called back')",
        },
        {
            content: "The visit is planned at the time the customer gave",
            // Waits for the form to show the new time (it reloads once the
            // dialog is closed), shown without seconds.
            trigger: `body:not(:has(.modal)) .o_field_widget[name=scheduled_date] input:value(${tomorrowAt15().slice(0, 16)})`,
            run() {
                // Shown without seconds.
                if (!tomorrowAt15().startsWith(this.anchor.value)) {
                    throw new Error(`Scheduled ${this.anchor.value}, not ${tomorrowAt15()}`);
                }
            },
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Planned')",
        },
    ],
});
