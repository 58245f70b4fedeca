import { registry } from "@web/core/registry";
import {
    DynamicModelFieldSelectorChar,
    dynamicModelFieldSelectorChar,
} from "@web/views/fields/dynamic_widget/dynamic_model_field_selector_char";

/**
 * The path of the source naming who, which department or which product was
 * served: Odoo's field path picker, offering only the many-to-one fields a
 * path may go through, and cleared by its cross (a path is optional).
 */
export class VisitServedPathField extends DynamicModelFieldSelectorChar {
    get getSelectorProps() {
        return { ...super.getSelectorProps, allowEmpty: true };
    }

    filter(fieldDef) {
        return super.filter(fieldDef) && fieldDef.type === "many2one";
    }
}

registry.category("fields").add("visit_served_path", {
    ...dynamicModelFieldSelectorChar,
    component: VisitServedPathField,
});
