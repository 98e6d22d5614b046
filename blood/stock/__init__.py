"""Blood-centre collection, components, unit life cycle, orders, dispatch, receipt, stock levels."""
