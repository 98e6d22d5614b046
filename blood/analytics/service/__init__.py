"""Analytics services, one module per sub-domain: `forecast` and `recruitment`. Pages import
the module they need (`from blood.analytics.service import forecast`)."""
