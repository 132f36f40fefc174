"""What the generic pages, the API and import/export know of the service desk's models."""

from houqin.core.specs import ModelSpec, register_spec
from houqin.servicedesk import catalog_filters, forms, models

SERVICE_CATEGORY = register_spec(
    ModelSpec(
        models.ServiceCategory,
        forms.ServiceCategoryForm,
        catalog_filters.ServiceCategoryFilterSet,
        "servicecategory",
        "service-categories",
        select_related=("parent", "default_team"),
        # ServiceCategory.targets() reads the prefetched rows: no query per category.
        prefetch_related=("sla_targets",),
        sortable=("code", "name", "sort_order", "weight", "followup_sample_percent"),
    )
)
