/** @odoo-module **/
import { Component, onWillStart, useState, useSubEnv } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { getDefaultConfig } from "@web/views/view";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

/**
 * The follow-up indicators of a period: a report, not a record. Every
 * figure opens the cases behind it (visit.case, with the figure's domain).
 */
export class VisitIndicators extends Component {
    static template = "customer_visit.VisitIndicators";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.notification = useService("notification");
        // The control panel of core's reports (breadcrumbs included).
        useSubEnv({ config: { ...getDefaultConfig(), ...this.env.config } });
        this.state = useState({ data: null, dateFrom: "", dateTo: "", companyId: false, teamId: false });
        // Back through the breadcrumbs, the page shows the period, company
        // and team the manager had computed, not the current cycle.
        useSetupAction({ getLocalState: () => ({ indicatorParams: this.params }) });
        this.params = this.props.state?.indicatorParams || {};
        onWillStart(() => this.load(this.params));
    }

    async load(params) {
        const data = await this.orm.call("visit.indicator", "get_indicator_page", [], params);
        this.params = params;
        this.state.data = data;
        this.state.dateFrom = data.date_from;
        this.state.dateTo = data.date_to;
        this.state.companyId = data.company_id;
        this.state.teamId = data.team_id || false;
    }

    async onCompute() {
        // A refused period (ending before it starts) comes back as the
        // server's translated message in Odoo's error dialog.
        await this.load({
            date_from: this.state.dateFrom,
            date_to: this.state.dateTo,
            company_id: parseInt(this.state.companyId) || false,
            team_id: parseInt(this.state.teamId) || false,
        });
    }

    async onCurrentCycle() {
        await this.load({ company_id: parseInt(this.state.companyId) || false });
    }

    formatNumber(value) {
        return formatFloat(value, { digits: [16, 2], trailingZeros: false });
    }

    formatValue(line) {
        if (line.value === null || line.value === undefined) {
            return _t("no data");
        }
        switch (line.unit) {
            case "percent":
                return `${this.formatNumber(line.value)} %`;
            case "score":
                // An item's scale (4, 5 stars, 10 points; 0: an NPS, no
                // scale); the aspects are on the 4-level scale.
                if (line.scale === 0) {
                    return this.formatNumber(line.value);
                }
                return `${this.formatNumber(line.value)} / ${line.scale || 4}`;
            case "days":
                return line.value === 1 ? _t("1 day") : _t("%s days", line.value);
            default:
                return line.value === 1 ? _t("1 visit") : _t("%s visits", line.value);
        }
    }

    formatRatio(line) {
        if (line.unit !== "percent" || line.denominator === null || line.denominator === undefined) {
            return "";
        }
        return `${line.numerator} / ${line.denominator}`;
    }

    formatTarget(line) {
        if (line.target === null || line.target === undefined) {
            return "";
        }
        const unit = line.unit === "percent" ? " %" : "";
        let text = `${line.is_cap ? "≤" : "≥"} ${this.formatNumber(line.target)}${unit}`;
        if (line.bonus) {
            text += " · " + _t("bonus from %s %", this.formatNumber(line.bonus));
        }
        return text;
    }

    statusLabel(line) {
        return { met: _t("Met"), missed: _t("Missed"), bonus: _t("Bonus") }[line.status] || "";
    }

    statusClass(line) {
        return { met: "text-bg-success", missed: "text-bg-danger", bonus: "text-bg-info" }[line.status] || "";
    }

    /** The share of an item's answers at one level, as a bar width. */
    shareWidth(line) {
        // An empty block of its own height: stretched flex items of no
        // content collapse in the web client's styles.
        const share = line.share || 0;
        return `display: block; flex: 0 0 ${share}%; width: ${share}%; height: 100%; min-height: 0.9rem;`;
    }

    levelColor(index, count) {
        // Best level first: green to red along the item's levels.
        const hue = count > 1 ? Math.round(120 - (120 * index) / (count - 1)) : 120;
        return `background-color: hsl(${hue}, 55%, 50%);`;
    }

    /**
     * A line's label under its group: the figure's own (callback rate,
     * satisfaction...) under a person or product served, else whom or
     * what the line counts (a type, an agent, a channel).
     */
    lineLabel(line) {
        return line.figure_label || line.label;
    }

    openCases(line, group) {
        this.actionService.doAction({
            type: "ir.actions.act_window",
            name: `${group.label}: ${this.lineLabel(line)}`,
            // An item's figure opens the answers behind it.
            res_model: line.model || "visit.case",
            domain: line.domain,
            views: [
                [false, "list"],
                [false, "pivot"],
                [false, "form"],
            ],
            // The list shows the score the figure averages (an aspect's,
            // not the overall one).
            context: { create: false, visit_case_measure: line.measure || false },
        });
    }
}

registry.category("actions").add("customer_visit.indicators", VisitIndicators);
