import { Component, onWillDestroy } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * Keeps the Domain Health block up to date: when a check that went on in the background is done, the server
 * says so on the bus, and the record shown is read again. It shows nothing itself.
 */
export class DomainHealthLive extends Component {
  static template = "mail_domain_health.DomainHealthLive";
  static props = { ...standardWidgetProps };

  setup() {
    const bus = useService("bus_service");
    const reload = async () => {
      const record = this.props.record;
      // Never over what the administrator is typing. Read through the record, which waits for a save or a
      // button under way to end, and keeps the record a button has just saved.
      if (await record.isDirty()) {
        return;
      }
      await record.load();
    };
    bus.subscribe("mail_domain_health/checked", reload);
    onWillDestroy(() => bus.unsubscribe("mail_domain_health/checked", reload));
  }
}

registry
  .category("view_widgets")
  .add("mail_domain_health_live", { component: DomainHealthLive });
